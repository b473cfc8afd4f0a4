"""TPC005 converted Parameter.

``nn.Parameter(t).cuda()`` (or ``.to()``, ``.double()``, ``.half()``...) returns a new, plain
tensor: what lands on ``self`` is not a Parameter, so it is neither trained nor saved.  Convert the
tensor first, then wrap it: ``nn.Parameter(t.cuda())``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import Scope, core

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding

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
    if value is not None and value.kind == core.TENSOR and value.converted and not binding.registered_before:
        return {"method": value.converted}
    return None


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
