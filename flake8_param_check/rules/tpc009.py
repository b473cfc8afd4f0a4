"""TPC009 discarded conversion.

An expression statement whose value is a tensor conversion that returns a new tensor:
``x.to(device)``, ``x.cuda()``, ``x.cpu()``, ``x.float()``, ``x.half()``, ``x.long()``,
``x.type(...)``, ``x.contiguous()``, ``x.detach()``, ``x.clone()``, ``x.pin_memory()``..., on an
expression known to be a tensor (a local, an annotated argument, a ``self.<attr>`` tensor, buffer
or Parameter, a call that gives a tensor).  The new tensor is dropped; ``x`` stays as it was.
Reported in every method of a Module class, and in files that mention torch in every other
function and method too (functions nested in a function aside).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..values import Kind
from ._base import STATEMENTS, Scope, cst

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Discarded
    from ._fixkit import Plan, StatementSite

CODE = "TPC009"
NAME = "discarded-conversion"
MESSAGE = (
    "'{attr}.{conversion}(...)' returns a new tensor, which this statement drops: '{attr}' is "
    "left as it was; {advice}"
)
SUMMARY = "A tensor conversion used as a statement does nothing: the tensor stays as it was."
JUDGES = STATEMENTS
SCOPE = Scope.EVERY_FUNCTION
#: Last: a statement that builds a Parameter in forward and converts it is TPC008.
PRIORITY = 70

_ASSIGN = "assign the result ({attr} = {attr}.{conversion}(...))"
_USE = "use the result, or remove the statement"
_PARAMETER = "a Parameter moves with its Module (model.to(...)), or assign its .data"


def check(fact: Discarded) -> dict[str, str] | None:
    if fact.receiver.kind is Kind.PARAMETER:
        advice = _PARAMETER
    elif _assignable(fact.target.func.value, fact.attr):  # type: ignore[attr-defined]
        advice = _ASSIGN.format(attr=fact.attr, conversion=fact.conversion)
    else:  # ``torch.zeros(3).cuda()``, ``x.float().to(d)``: nothing to assign back to
        advice = _USE
    return {"conversion": fact.conversion, "advice": advice}


def _assignable(receiver: cst.BaseExpression, text: str) -> bool:
    """Whether the receiver, as the message writes it, can be assigned to: a name, or an
    attribute or subscript of one (``x``, ``self.mask``, ``batch[0]``)."""
    node = receiver
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return isinstance(node, cst.Name) and text != "the tensor"


def plan_fix(site: StatementSite) -> Plan | None:
    """``x.to(d)`` -> ``x = x.to(d)`` for a local that is not a Parameter (nor a loop's
    variable), and for ``self.<attr>`` when every value the class gives it is a plain tensor or
    a buffer."""
    fact = site.fact
    if fact.receiver.kind is Kind.PARAMETER:
        return None
    receiver = fact.target.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, cst.Name):
        if site.loop_target(receiver.value):
            return None
    elif fact.self_attr is not None:
        kinds = site.attribute_kinds(fact.self_attr)
        if kinds is None or not kinds <= {Kind.TENSOR, Kind.BUFFER}:
            return None
    else:
        return None

    def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Expr) and isinstance(old.value, cst.Call)
        assert isinstance(old.value.func, cst.Attribute)
        receiver = old.value.func.value
        assert isinstance(receiver, (cst.Name, cst.Attribute))
        target = cst.AssignTarget(receiver.deep_clone())
        return statement.with_changes(body=[cst.Assign([target], old.value, semicolon=old.semicolon)])
    return site.plan(rewrite, needs_nn=False)


WHY = (
    "Tensor conversions do not convert in place: `x.to(device)`, `x.cuda()`, `x.half()`, "
    "`x.contiguous()` or `x.detach()` return a new tensor (or `x` itself when there is nothing "
    "to do) and leave `x` as it was.  Used as a statement, their result is dropped and nothing "
    "happens: the tensor stays on the CPU, in float32, attached to the graph.  It looks like "
    "`model.to(device)`, which does move a Module in place, so the bug survives review; it "
    "shows later as a device or dtype mismatch, or as memory kept alive by the graph."
)

FIX_TEXT = (
    "`--fix` assigns the result back: `x.to(d)` becomes `x = x.to(d)` when the receiver is a "
    "local name (not a loop's variable, whose new value the next item would drop), or "
    "`self.<attr>` that the class only ever gives plain tensors or registers as a buffer (the "
    "buffer stays a buffer).  A Parameter is left as it is: assigning a plain tensor to a "
    "Parameter's name raises."
)

FIELDS_TEXT = (
    "`{attr}` is the receiver as written; `{conversion}` the method; `{advice}` what to do "
    "instead (assign the result; use it where there is nothing to assign it to; for a "
    "Parameter, move the Module)."
)


VALID = [
    # Modules convert in place; in-place tensor methods change the tensor itself.
    """
def prepare(x: torch.Tensor, device):
    model = nn.Linear(4, 4)
    model.to(device)
    model.double()
    x.requires_grad_()
    x.zero_()
    x = x.to(device)
    return model, x

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.lin.double()

    def forward(self, x):
        self.lin.float()
        return self.lin(x)
""",
    # A receiver whose type is unknown (its own .to() may work in place).
    """
class Batch:
    def __init__(self, x):
        self.x = x

    def to(self, device):
        self.x = self.x.to(device)
        return self

def send(batch: Batch, device):
    batch.to(device)
    return batch
""",

]

INVALID = [
    """
def move(x: torch.Tensor, dev):
    x.to(dev)  # expect: TPC009
    x.double()  # expect: TPC009
    x.float().to(dev)  # expect: TPC009
    return x
""",
    # Buffers, Parameters and locals of a Module's methods.
    """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.ones(4))
        self.w = nn.Parameter(torch.zeros(4))

    def forward(self, x):
        self.mask.double()  # expect: TPC009
        self.w.double()  # expect: TPC009
        y = x * self.w
        y.detach()  # expect: TPC009
        return y + self.mask
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
#: A Parameter (``self.w.double()``) is left as it is.
FIXES = [
    (
        """
def move(x: torch.Tensor, dev):
    x.to(dev)
    return x

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.ones(4))

    def forward(self, x):
        self.mask.to(x.device)
        return x * self.mask
""",
        """
def move(x: torch.Tensor, dev):
    x = x.to(dev)
    return x

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", torch.ones(4))

    def forward(self, x):
        self.mask = self.mask.to(x.device)
        return x * self.mask
""",
    ),
]
