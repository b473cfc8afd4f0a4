"""TPC002 trainable raw tensor.

A tensor with ``requires_grad=True`` stored on ``self`` in any method, but not wrapped in
``nn.Parameter``: it is not in ``model.parameters()``, so no optimizer ever updates it.
"""

from __future__ import annotations

from ..classwalk import Binding
from ..values import Kind

CODE = "TPC002"


def check(binding: Binding) -> dict[str, str] | None:
    value = binding.value
    trainable = value is not None and (value.trainable or binding.made_trainable)
    if value is not None and value.kind is Kind.TENSOR and trainable and not binding.registered_before:
        return {}
    return None


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
