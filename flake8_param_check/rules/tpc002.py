"""TPC002 trainable raw tensor.

A tensor with ``requires_grad=True`` stored on ``self`` in any method, but not wrapped in
``nn.Parameter``: it is not in ``model.parameters()``, so no optimizer ever updates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import Scope, core, cst, kit

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC002"
NAME = "trainable-raw-tensor"
MESSAGE = (
    "tensor 'self.{attr}' has requires_grad=True but is not an nn.Parameter: it is not in "
    "parameters(), so no optimizer updates it; wrap it in nn.Parameter(...)"
)
SUMMARY = "A tensor that requires grad stored on self is never trained."
SCOPE = Scope.EVERY_METHOD
#: Before TPC001: a tensor meant to be trained wants a Parameter, not a buffer.
PRIORITY = 20


def check(binding: Binding) -> dict[str, str] | None:
    value = binding.value
    trainable = value is not None and (value.trainable or binding.made_trainable)
    if value is not None and value.kind is Kind.TENSOR and trainable and not binding.registered_before:
        return {}
    return None


def plan_fix(site: FixSite) -> Plan | None:
    """``self.w = <value that requires grad>`` -> ``self.w = nn.Parameter(<value>)``, without what
    made it require grad (see :data:`FIX_TEXT`)."""
    if site.other_bindings() or site.base_bindings(init_too=False):
        return None
    value = site.assign.value
    if _strip_trainable(site, value) is None:
        ok = False
        if isinstance(value, cst.Name) and site.local_is_private(value.value):
            ok = _local_trainable(site, value.value) or _made_trainable_next(site)
        elif not isinstance(value, cst.Name):
            ok = _made_trainable_next(site)
        if not ok:
            return None

    def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Assign)
        inner = _strip_trainable(site, old.value)
        if inner is None:
            inner = old.value
        wrapped = cst.Call(kit.nn_attr(nn, tn.NN_PARAMETER), [cst.Arg(kit.unparenthesized(inner))])
        return statement.with_changes(body=[old.with_changes(value=kit.keep_parens(old.value, wrapped))])
    return site.plan(rewrite, needs_nn=True)


def _strip_trainable(site: FixSite, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``node`` without what makes it require grad, when that is written in ``node`` itself:
    ``torch.f(..., requires_grad=True)``, ``Variable(t, requires_grad=True)``,
    ``t.requires_grad_()``, any of those followed by conversions such as ``.to(dev)``."""
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    qualname = site.qualified(func)
    factories = tn.TENSOR_FUNCTIONS | tn.TENSOR_CLASSES | tn.VARIABLE_CLASSES
    if isinstance(func, cst.Attribute) and qualname not in factories:
        method = func.attr.value
        receiver = func.value
        if method == tn.REQUIRES_GRAD_METHOD:
            flag = node.args[0] if node.args else None
            if flag is None or (len(node.args) == 1 and core.is_true(flag.value) and not flag.star
                                and (flag.keyword is None or flag.keyword.value == tn.REQUIRES_GRAD_KEYWORD)):
                return receiver
            return None
        if method in tn.CONVERSION_METHODS:
            inner = _strip_trainable(site, receiver)
            if inner is None:
                return None
            return node.with_changes(func=func.with_changes(value=kit.atom(inner)))
        return None
    if qualname is None:
        return None
    flags = [a for a in node.args if a.keyword is not None and a.keyword.value == tn.REQUIRES_GRAD_KEYWORD]
    if len(flags) != 1 or not core.is_true(flags[0].value) or any(a.star for a in node.args):
        return None
    if qualname in tn.TENSOR_FUNCTIONS or qualname in tn.TENSOR_CLASSES:
        args = kit.drop_arg(node.args, flags[0])
        return None if args is None else node.with_changes(args=args)
    if qualname in tn.VARIABLE_CLASSES:
        rest = [a for a in node.args if a is not flags[0]]
        if len(rest) == 1 and rest[0].keyword is None:
            return rest[0].value
    return None


def _local_trainable(site: FixSite, name: str) -> bool:
    """The local ``name`` is bound once in the function, earlier in the same block, to a value
    that requires grad as written, and nothing switches its ``requires_grad``."""
    value = site.local_value(name)
    if value is None or site.local_attributes(name) & tn.GRAD_SWITCHES:
        return False
    return _strip_trainable(site, value) is not None


def _made_trainable_next(site: FixSite) -> bool:
    """A later statement of the same block sets ``self.<attr>.requires_grad = True`` (or calls
    ``requires_grad_()``), and nothing uses ``self.<attr>`` in between."""
    later = site.later_statements()
    self_name = site.self_name
    if later is None or self_name is None:
        return False
    for statement in later:
        if _sets_requires_grad(statement, self_name, site.attr):
            return True
        if any(kit.is_self_attr(n, self_name, site.attr) for n in kit.walk(statement)):
            return False
    return False


def _sets_requires_grad(statement: cst.CSTNode, self_name: str, attr: str) -> bool:
    """``self.<attr>.requires_grad = True`` or ``self.<attr>.requires_grad_()`` / ``(True)``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and core.is_true(small.value):
        target = small.targets[0].target
        return isinstance(target, cst.Attribute) and target.attr.value == tn.REQUIRES_GRAD_ATTRIBUTE \
            and kit.is_self_attr(target.value, self_name, attr)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == tn.REQUIRES_GRAD_METHOD \
                and kit.is_self_attr(func.value, self_name, attr):
            return not call.args or (len(call.args) == 1 and core.is_true(call.args[0].value))
    return False


WHY = (
    "`requires_grad=True` makes autograd compute a gradient for the tensor, but "
    "`model.parameters()` only yields `nn.Parameter`s.  The optimizer, built from "
    "`model.parameters()`, never sees the tensor: it keeps its initial value forever while the "
    "loss curve suggests the model is training.  It is also missing from `state_dict()`, is not "
    "moved by `.to()`, and `DistributedDataParallel` does not all-reduce its gradient."
)

FIX_TEXT = (
    "`--fix` wraps the value in `nn.Parameter(...)` and removes what made it trainable: a "
    "`requires_grad=True` argument, a `.requires_grad_()` call or a "
    "`torch.autograd.Variable(..., requires_grad=True)` wrapper, also when a conversion such as "
    "`.to(dev)` follows, when the value comes from a local bound just before, or when a "
    "`self.x.requires_grad = True` / `self.x.requires_grad_()` follows in the same block."
)

FIELDS_TEXT = "`{attr}` is the attribute's name."


VALID = [
    """
class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3))
        self.v = nn.Parameter(torch.randn(3, requires_grad=True))
""",
    """
class Frozen(nn.Module):
    def __init__(self):
        super().__init__()
        w = torch.randn(3, requires_grad=True)
        self.w = nn.Parameter(w)
        self.register_buffer("b", torch.zeros(3))
        self.b.requires_grad_(False)
""",
    # Made trainable, then wrapped; or made trainable with False.
    """
class Frozen2(nn.Module):
    def reset(self, x):
        self.delta = torch.zeros_like(x)

    def fit(self):
        self.delta.requires_grad_(False)
""",

]

INVALID = [
    """
class Scale(nn.Module):
    def __init__(self, dev):
        super().__init__()
        self.w = torch.randn(3, requires_grad=True)  # expect: TPC002
        self.v = torch.zeros(3, requires_grad=True).to(dev)  # expect: TPC002
        x = torch.ones(3).requires_grad_()
        self.x = x  # expect: TPC002
        self.y = torch.autograd.Variable(torch.ones(2), requires_grad=True)  # expect: TPC002
        self.z = torch.zeros(2)  # expect: TPC002
        self.z.requires_grad = True
        self.u = torch.zeros(2)  # expect: TPC002
        self.u.requires_grad_()

    def reset(self):
        self.h = torch.zeros(4, requires_grad=True)  # expect: TPC002
""",
    # Stored in one method, made trainable in another (reported at the store).
    """
class Attack(nn.Module):
    def __init__(self, x: torch.Tensor):
        super().__init__()
        self.reset(x)
        self.fit()

    def reset(self, x):
        self.delta = torch.zeros_like(x)  # expect: TPC002

    def fit(self):
        self.delta.requires_grad_()
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
FIXES = [
    (
        """
class Scale(nn.Module):
    def __init__(self, dev):
        super().__init__()
        self.w = torch.randn(3, requires_grad=True)
        self.v = torch.zeros(3, requires_grad=True).to(dev)
        self.s = torch.ones(2).requires_grad_()
        self.y = torch.autograd.Variable(torch.ones(2), requires_grad=True)
        self.m = torch.ones(
            4,
            requires_grad=True,
        )
        self.z = torch.zeros(2)
        self.z.requires_grad = True
""",
        """
class Scale(nn.Module):
    def __init__(self, dev):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3))
        self.v = nn.Parameter(torch.zeros(3).to(dev))
        self.s = nn.Parameter(torch.ones(2))
        self.y = nn.Parameter(torch.ones(2))
        self.m = nn.Parameter(torch.ones(
            4,
        ))
        self.z = nn.Parameter(torch.zeros(2))
        self.z.requires_grad = True
""",
    ),
]
