"""TPC005 converted Parameter.

``nn.Parameter(t).cuda()`` (or ``.to()``, ``.double()``, ``.half()``...) returns a new, plain
tensor: what lands on ``self`` is not a Parameter, so it is neither trained nor saved.  Convert the
tensor first, then wrap it: ``nn.Parameter(t.cuda())``.
"""

from __future__ import annotations

from ..classwalk import Binding
from ..values import Kind

CODE = "TPC005"


def check(binding: Binding) -> dict[str, str] | None:
    value = binding.value
    if value is not None and value.kind is Kind.TENSOR and value.converted and not binding.registered_before:
        return {"method": value.converted}
    return None


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
        self.v = nn.Parameter(torch.arange(d)).float()  # expect: TPC005
        self.u = nn.Parameter(t).float()  # expect: TPC005
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
