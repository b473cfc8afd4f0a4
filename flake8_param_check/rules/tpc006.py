"""TPC006 unregistered tensor moved by hand.

What TPC001 reports, when another method of the class moves the attribute itself: it re-binds it
from itself through a conversion (``self.pe = self.pe.to(x.device)``), or reads it through one
(``mask = self.mask.to(x.device)``).  The code works, but ``state_dict()`` still misses the tensor,
and a buffer with ``persistent=False`` does the same job with less code.  Users who want only the
tensors that break on the first ``.cuda()`` keep TPC001 and ``extend-ignore = TPC006``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Scope
from .tpc001 import first_binding, fix_target, plan_fix, unregistered_tensor

__all__ = ["fix_target", "plan_fix"]  # the same rewrite as TPC001: a buffer, at the first binding

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding

CODE = "TPC006"
NAME = "unregistered-tensor-moved-by-hand"
MESSAGE = (
    "tensor 'self.{attr}' is not registered and is moved by hand ({where}): it is missing from "
    "state_dict(); register it with self.register_buffer('{attr}', ..., persistent=False) and "
    "drop the manual move{first}"
)
SUMMARY = "A plain tensor stored on self in __init__ that another method moves itself."
SCOPE = Scope.INIT
#: Before TPC001, which it takes over for tensors another method moves.
PRIORITY = 25


def check(binding: Binding) -> dict[str, object] | None:
    if binding.moved_by_hand and unregistered_tensor(binding):
        where = f"self.{binding.attr}.{binding.moved_by_hand}() in {binding.moved_in}()"
        return {"where": where, "first": first_binding(binding)}
    return None


WHY = (
    "A tensor on a plain attribute is invisible to `nn.Module`: `model.to(device)` leaves it "
    "behind, so the class moves it itself where it is used (`self.pe = self.pe.to(x.device)`).  "
    "That works, at a cost: `state_dict()` does not hold the tensor, so checkpoints neither save "
    "nor restore it; `DistributedDataParallel` does not broadcast it; each forward pass pays a "
    "device check or a copy; and every new use must remember the move.  A buffer registered with "
    "`persistent=False` follows `.to()`/`.cuda()`/`.half()` with the Module, and stays out of "
    "`state_dict()` as before.  Creating the tensor with `device=` in `__init__` is not a move "
    "by hand: a later `.to()` still leaves it (TPC001)."
)

FIX_TEXT = (
    "`--fix` registers the tensor as TPC001 does: `self.x = t` becomes "
    "`self.register_buffer(\"x\", t, persistent=False)` (or `nn.Buffer` with `--buffer-style "
    "nn.Buffer`).  The manual moves still work on a buffer and can be removed by hand."
)

FIELDS_TEXT = (
    "`{attr}` is the attribute's name; `{where}` the first conversion another method applies to "
    "it, and that method."
)

VALID = [
    # Registered: the buffer follows the Module; moving it by hand as well is harmless.
    """
class Positional(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("pe", torch.zeros(n, 16), persistent=False)

    def forward(self, x):
        return x + self.pe.to(x.device)[: x.size(0)]
""",
]

INVALID = [
    # Re-bound from itself through a conversion, or read through one.
    """
class Positional(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pe = torch.zeros(n, 16)  # expect: TPC006
        self.mask = torch.tril(torch.ones(n, n))  # expect: TPC006

    def forward(self, x):
        self.pe = self.pe.to(x.device)
        mask = self.mask.type_as(x)
        return (x + self.pe) * mask
""",
]

FIXES = [
    (
        """
class Positional(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pe = torch.zeros(n, 16)

    def forward(self, x):
        self.pe = self.pe.to(x.device)
        return x + self.pe
""",
        """
class Positional(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("pe", torch.zeros(n, 16), persistent=False)

    def forward(self, x):
        self.pe = self.pe.to(x.device)
        return x + self.pe
""",
    ),
]
