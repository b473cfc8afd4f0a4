"""TPC002 trainable raw tensor.

A tensor with ``requires_grad=True`` stored on ``self`` in any method, but not wrapped in
``nn.Parameter``: it is not in ``model.parameters()``, so no optimizer ever updates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Scope, core

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding

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
    if value is not None and value.kind == core.TENSOR and value.trainable and not binding.registered_before:
        return {}
    return None


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
