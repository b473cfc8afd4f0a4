"""What TPC003 and TPC004 share: the unregistered contents of a plain container on ``self``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import core

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding, Val

CONTAINER_FIELDS = (
    "`{attr}` is the attribute's name; `{container}` is `list`, `tuple` or `dict`, and `{fix}` "
    "the matching `nn` container."
)


def unregistered_leaves(binding: Binding) -> list[Val] | None:
    """The values inside a plain list/tuple/dict stored on ``self`` that nothing else registers;
    ``None`` when the binding is not such a container."""
    value = binding.value
    if value is None or value.kind != core.CONTAINER or value.consumed:
        return None
    if binding.registered_before:
        return None
    return [leaf for leaf in value.leaves() if not leaf.registered]


def message_fields(binding: Binding, fix_list: str, fix_dict: str) -> dict[str, str]:
    container = binding.value.container if binding.value is not None else None
    return {"container": container or "list", "fix": fix_dict if container == "dict" else fix_list}
