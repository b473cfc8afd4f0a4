"""TPC004 plain container of tensors or Parameters.

Parameters or tensors kept in a Python ``list``, ``tuple`` or ``dict`` on ``self`` are not
registered: Parameters are not trained, tensors are not moved by ``.to()`` nor saved.
``nn.ParameterList``/``nn.ParameterDict`` register Parameters; tensors want one buffer each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import TENSOR_LIKE, Container, Kind
from ._base import Scope
from ._containers import message_fields, plan_container, unregistered_leaves

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC004"
NAME = "plain-container-of-tensors"
MESSAGE = "'self.{attr}' is a plain {container} of {held}: they are not registered; {advice}"
SUMMARY = "Parameters or tensors kept in a Python list, tuple or dict are not registered."
SCOPE = Scope.INIT
PRIORITY = 50


def check(binding: Binding) -> dict[str, str] | None:
    leaves = unregistered_leaves(binding)
    if not leaves or any(leaf.kind is Kind.MODULE for leaf in leaves):
        return None
    if not any(leaf.kind in TENSOR_LIKE for leaf in leaves):
        return None
    fields = message_fields(binding, *tn.PARAMETER_CONTAINERS)
    value = binding.value
    keyed = value is None or value.container is not Container.DICT or value.str_keys
    if all(leaf.kind is Kind.PARAMETER for leaf in leaves) and keyed:
        return {**fields, "held": "Parameters", "advice": f"use nn.{fields['fix']}"}
    # A ParameterList would make plain tensors trainable: each wants a buffer of its own.
    return {**fields, "held": "tensors", "advice": "register each tensor as a buffer (self.register_buffer)"}


def plan_fix(site: FixSite) -> Plan | None:
    return plan_container(site, Kind.PARAMETER, *tn.PARAMETER_CONTAINERS)


WHY = (
    "Parameters inside a Python list, tuple or dict are not registered: `model.parameters()` "
    "skips them, so no optimizer updates them, and `state_dict()` does not save them.  Plain "
    "tensors in such a container are not moved by `.to(device)` and not saved either.  "
    "`DistributedDataParallel` neither broadcasts them nor all-reduces their gradients."
)

FIX_TEXT = (
    "`--fix` wraps a container that holds Parameters only: `nn.ParameterList(...)` or "
    "`nn.ParameterDict(...)`.  A container of plain tensors is left as it is (each tensor wants "
    "a buffer of its own, and their names are a design decision)."
)

FIELDS_TEXT = (
    "`{attr}` is the attribute's name; `{container}` is `list`, `tuple` or `dict`; `{held}` is "
    "`Parameters` when it holds only Parameters (then `{advice}` names `nn.ParameterList`, or "
    "`nn.ParameterDict` for a dict with string keys), else `tensors` (then `{advice}` says to "
    "register each as a buffer: a `ParameterList` would make them trainable)."
)


VALID = [
    """
class Experts(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(4)) for _ in range(n)])
        self.w1 = nn.Parameter(torch.randn(2))
        self.w2 = nn.Parameter(torch.randn(2))
        self.pair = [self.w1, self.w2]
        self.sizes = [n, n * 2]
""",
    # Parameters registered through another container: a ParameterList of both lists.
    """
class Affine(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.shift = [nn.Parameter(torch.zeros(d)) for _ in range(n)]
        self.scale = [nn.Parameter(torch.ones(d)) for _ in range(n)]
        self.params = nn.ParameterList(self.shift + self.scale)
""",

]

INVALID = [
    """
class Experts(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weights = [nn.Parameter(torch.randn(4)) for _ in range(n)]  # expect: TPC004
        self.anchors = [torch.zeros(4), torch.ones(4)]  # expect: TPC004
        self.by_name = {"a": nn.Parameter(torch.zeros(1))}  # expect: TPC004
""",
    # Tuples of tensors: built from a generator, or split from a tensor.
    """
class Parts(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.parts = tuple(torch.zeros(2) for _ in range(n))  # expect: TPC004
        self.chunks = torch.randn(4, n).chunk(2)  # expect: TPC004
        self.named = dict((str(i), torch.ones(1)) for i in range(n))  # expect: TPC004
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
#: A container of plain tensors is left as it is: each wants its own buffer.
FIXES = [
    (
        """
class Experts(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weights = [nn.Parameter(torch.randn(4)) for _ in range(n)]
        self.by_name = {"a": nn.Parameter(torch.zeros(1))}
        self.anchors = [torch.zeros(4), torch.ones(4)]
""",
        """
class Experts(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(4)) for _ in range(n)])
        self.by_name = nn.ParameterDict({"a": nn.Parameter(torch.zeros(1))})
        self.anchors = [torch.zeros(4), torch.ones(4)]
""",
    ),
]
