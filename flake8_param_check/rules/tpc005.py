"""TPC005 converted Parameter.

``nn.Parameter(t).cuda()`` (or ``.to()``, ``.double()``, ``.half()``...) returns a new, plain
tensor: what lands on ``self`` is not a Parameter, so it is neither trained nor saved.  Convert the
tensor first, then wrap it: ``nn.Parameter(t.cuda())``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import Scope, cst, kit

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC005"
NAME = "converted-parameter"
MESSAGE = (
    "'self.{attr}' is nn.Parameter(...).{method}(...), which returns a plain tensor, not a "
    "Parameter; convert first: nn.Parameter(t.{method}(...))"
)
SUMMARY = "Converting a Parameter returns a plain tensor."
SCOPE = Scope.EVERY_METHOD
#: First: what the statement meant to store is a Parameter; the cure is to convert first.
PRIORITY = 10


def check(binding: Binding) -> dict[str, str] | None:
    value = binding.value
    if value is not None and value.kind is Kind.TENSOR and value.converted and not binding.registered_before:
        return {"method": value.converted}
    return None


def plan_fix(site: FixSite) -> Plan | None:
    """``nn.Parameter(t).to(d)`` -> ``nn.Parameter(t.to(d))``."""
    if site.other_bindings() or site.base_bindings(init_too=False):
        return None
    method = site.binding.value.converted if site.binding.value else None
    if _move_conversion(site, site.assign.value, method) is None:
        return None

    def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Assign)
        new = _move_conversion(site, old.value, method)
        assert new is not None
        return statement.with_changes(body=[old.with_changes(value=new)])
    return site.plan(rewrite, needs_nn=False)


def _move_conversion(site: FixSite, node: cst.BaseExpression,
                     method: str | None) -> cst.BaseExpression | None:
    """``nn.Parameter(t, ...).m(args)`` -> ``nn.Parameter(t.m(args), ...)``."""
    if method is None or not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    func = node.func
    inner = func.value
    if func.attr.value != method or not isinstance(inner, cst.Call) or inner.lpar:
        return None
    if site.qualified(inner.func) not in tn.PARAMETER_CLASSES or any(a.star for a in inner.args):
        return None
    data = next((a for a in inner.args if a.keyword is None), None)
    if data is None:
        data = next((a for a in inner.args
                     if a.keyword is not None and a.keyword.value == tn.PARAMETER_DATA_KEYWORD), None)
    if data is None:
        return None
    moved = cst.Call(
        func.with_changes(value=kit.atom(data.value)),
        node.args,
        whitespace_after_func=node.whitespace_after_func,
        whitespace_before_args=node.whitespace_before_args,
    )
    args = [a.with_changes(value=moved) if a is data else a for a in inner.args]
    return inner.with_changes(args=args, lpar=node.lpar, rpar=node.rpar)


WHY = (
    "Conversion methods (`.to()`, `.cuda()`, `.double()`, `.half()`...) return a new tensor, "
    "and that tensor is a plain one: what lands on `self` is not a Parameter, so it is not in "
    "`model.parameters()` (never trained) nor in `state_dict()` (never saved); a trainable "
    "Parameter even comes out as a non-leaf tensor whose `.grad` stays `None`.  "
    "The bug hides where the code was written: "
    "when the conversion changes nothing (`.to(\"cpu\")` on a CPU tensor) torch returns the "
    "Parameter itself, so the model trains on the CPU and breaks only on the GPU."
)

FIX_TEXT = (
    "`--fix` moves the conversion inside the Parameter: `nn.Parameter(t).to(d)` becomes "
    "`nn.Parameter(t.to(d))`, keeping the Parameter's own arguments.  A Parameter converted "
    "through a local (`p = nn.Parameter(t); self.h = p.half()`) is left as it is."
)

FIELDS_TEXT = "`{attr}` is the attribute's name; `{method}` is the conversion method."


VALID = [
    """
class Net(nn.Module):
    def __init__(self, dev):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3).to(dev))
        self.v = nn.Parameter(torch.zeros(3)).requires_grad_(False)
        self.u = nn.init.zeros_(nn.Parameter(torch.empty(3)))
""",
    # .float() of a float32 Parameter is the Parameter itself.
    """
class Net(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d)).float()
        self.v = nn.Parameter(torch.zeros(d, dtype=torch.float32)).float()
""",

]

INVALID = [
    """
class Net(nn.Module):
    def __init__(self, dev):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3)).to(dev)  # expect: TPC005
        self.v = nn.Parameter(torch.zeros(3)).cuda()  # expect: TPC005
        p = nn.Parameter(torch.ones(2))
        self.h = p.half()  # expect: TPC005
""",
    # Other conversions, or .float() of a tensor not known to be float32, stay findings.
    """
class Net(nn.Module):
    def __init__(self, d, t):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d)).double()  # expect: TPC005
        self.v = nn.Parameter(torch.ones(d, dtype=torch.float64)).float()  # expect: TPC005
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
#: A Parameter converted through a local (``p = nn.Parameter(t); self.h = p.half()``) is left.
FIXES = [
    (
        """
class Net(nn.Module):
    def __init__(self, dev, a, b):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3)).to(dev)
        self.v = nn.Parameter(torch.zeros(3), requires_grad=False).cuda()
        self.u = nn.Parameter(a + b).to(dev, non_blocking=True)
""",
        """
class Net(nn.Module):
    def __init__(self, dev, a, b):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(3).to(dev))
        self.v = nn.Parameter(torch.zeros(3).cuda(), requires_grad=False)
        self.u = nn.Parameter((a + b).to(dev, non_blocking=True))
""",
    ),
]
