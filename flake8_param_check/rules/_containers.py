"""What TPC003 and TPC004 share: the unregistered contents of a plain container on ``self``."""

from __future__ import annotations

from ..classwalk import Binding
from ..values import Kind, Val


def unregistered_leaves(binding: Binding) -> list[Val] | None:
    """The values inside a plain list/tuple/dict stored on ``self`` in the init scope that
    nothing else registers; ``None`` when the binding is not such a container."""
    value = binding.value
    if not binding.in_init or value is None or value.kind is not Kind.CONTAINER or value.consumed:
        return None
    if binding.registered_before:
        return None
    return [leaf for leaf in value.leaves() if not leaf.registered]


def message_fields(binding: Binding, fix_list: str, fix_dict: str) -> dict[str, str]:
    container = binding.value.container if binding.value is not None else None
    return {"container": str(container or "list"), "fix": fix_dict if container == "dict" else fix_list}
