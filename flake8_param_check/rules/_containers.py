"""What TPC003 and TPC004 share: the unregistered contents of a plain container on ``self``, and
its fix, wrapping the container in the torch container that registers them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import core, cst, kit

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding, Val
    from ._fixkit import FixSite, Plan

CONTAINER_FIELDS = (
    "`{attr}` is the attribute's name; `{container}` is `list`, `tuple` or `dict`, and `{fix}` "
    "the matching `nn` container."
)


def unregistered_leaves(binding: Binding) -> list[Val] | None:
    """The values inside a plain list/tuple/dict stored on ``self`` that nothing else registers;
    ``None`` when the binding is not such a container."""
    value = binding.value
    if value is None or value.kind is not Kind.CONTAINER or value.consumed:
        return None
    if binding.registered_before:
        return None
    return [leaf for leaf in value.leaves() if not leaf.registered]


def message_fields(binding: Binding, fix_list: str, fix_dict: str) -> dict[str, str]:
    container = binding.value.container if binding.value is not None else None
    return {"container": str(container or "list"), "fix": fix_dict if container == "dict" else fix_list}


def container_fix_allowed(site: FixSite, kind: str, list_class: str, dict_class: str) -> bool:
    """Whether the container on ``self`` may become ``nn.<list_class>``/``nn.<dict_class>``: it
    holds ``kind`` values only, nothing else assigns the attribute, and the methods called on it
    exist on the torch container."""
    val = site.binding.value
    if val is None or val.kind != core.CONTAINER or val.consumed:
        return False
    if val.container not in ("list", "tuple", "dict"):
        return False
    if not val.elements or any(e is None or e.kind != kind or e.registered for e in val.elements):
        return False
    is_dict = val.container == "dict"
    torch_class = dict_class if is_dict else list_class
    # ``self.xs = self.xs + [...]`` grows the list; it keeps a torch container whose ``+`` gives
    # one back, and only such a growth may follow the rewritten statement.
    others = site.other_bindings()
    if torch_class in tn.CONTAINERS_KEPT_BY_ADD:
        others = [b for b in others if b is None or not b.growth]
    if others or site.base_bindings(init_too=False):
        return False
    python_methods = tn.DICT_METHODS if is_dict else tn.LIST_METHODS
    used = site.methods_used() & python_methods
    return not used - tn.CONTAINER_METHODS[torch_class]


def plan_container(site: FixSite, kind: str, list_class: str, dict_class: str) -> Plan | None:
    """A list, tuple, list comprehension, dict with string keys or private local holding ``kind``
    values only -> ``nn.<list_class>(...)`` / ``nn.<dict_class>(...)``; ``[]`` and ``{}`` -> an
    empty one."""
    if not container_fix_allowed(site, kind, list_class, dict_class):
        return None
    val = site.binding.value
    assert val is not None
    is_dict = val.container == "dict"
    torch_class = dict_class if is_dict else list_class
    value = site.assign.value
    if is_dict:
        if not val.str_keys:
            return None
        if isinstance(value, cst.Dict):
            for element in value.elements:
                key = core.string_value(element.key) if isinstance(element, cst.DictElement) else None
                if key is None or not key or "." in key or key in tn.MODULE_ATTRIBUTES:
                    return None
        elif not (isinstance(value, cst.Name) and site.local_is_private(value.value)):
            return None
    else:
        if isinstance(value, cst.Name):
            if not site.local_is_private(value.value):
                return None
        elif isinstance(value, cst.Tuple):
            if len(value.lpar) > 1:
                return None
        elif not isinstance(value, (cst.List, cst.ListComp)):
            return None

    def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Assign)
        inner = kit.unparenthesized(old.value)
        if isinstance(inner, cst.Tuple):
            inner = kit.tuple_to_list(old.value)  # type: ignore[arg-type]
        empty = isinstance(inner, (cst.List, cst.Dict)) and not inner.elements and not kit.has_comment(inner)
        args = [] if empty else [cst.Arg(inner)]
        call = cst.Call(kit.nn_attr(nn, torch_class), args)
        return statement.with_changes(body=[old.with_changes(value=kit.keep_parens(old.value, call))])
    return site.plan(rewrite, needs_nn=True)
