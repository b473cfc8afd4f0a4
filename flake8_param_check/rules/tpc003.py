"""TPC003 plain container of modules.

Layers kept in a Python ``list``, ``tuple`` or ``dict`` on ``self``: ``nn.Module`` does not look
inside, so their parameters are not in ``model.parameters()``, not in ``state_dict()``, and not moved
by ``.to()``.  ``nn.ModuleList`` and ``nn.ModuleDict`` register them.
"""

from __future__ import annotations

from ..classwalk import Binding
from ..values import Kind
from ._containers import message_fields, unregistered_leaves

CODE = "TPC003"


def check(binding: Binding) -> dict[str, str] | None:
    leaves = unregistered_leaves(binding)
    if leaves and any(leaf.kind is Kind.MODULE for leaf in leaves):
        return message_fields(binding, "ModuleList", "ModuleDict")
    return None


VALID = [
    """
class Stack(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 1)})
        self.outputs = []

    def forward(self, x):
        self.outputs.append(x)
        return x
""",
    # Registered one by one, or through another Module.
    """
class Manual(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(n)]
        for i, block in enumerate(self.blocks):
            self.add_module(f"block{i}", block)
        layers = [nn.ReLU(), nn.Linear(2, 2)]
        self.seq = nn.Sequential(*layers)
        self.layers = layers
        self.conv1 = nn.Conv2d(1, 1, 1)
        self.convs = [self.conv1]
""",
    # Layers registered through another container: a Sequential built from them.
    """
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
        seq = []
        for layer in self.layers:
            seq.append(layer)
            seq.append(nn.ReLU())
        self.net = nn.Sequential(*seq)
""",

]

INVALID = [
    """
class Stack(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = [nn.Linear(4, 4) for _ in range(n)]  # expect: TPC003
        self.pair = (nn.ReLU(),)  # expect: TPC003
        self.heads = {"a": nn.Linear(4, 1)}  # expect: TPC003
        block = nn.Linear(4, 4)
        self.more = [block]  # expect: TPC003
        self.filled = []  # expect: TPC003
        for _ in range(n):
            self.filled.append(nn.Linear(4, 4))
        self.named = {}  # expect: TPC003
        self.named["x"] = nn.Linear(1, 1)
""",
    # Lists of layers grown by concatenation or +=: reported where the list is made.
    """
class Grown(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.layers = []  # expect: TPC003
        for _ in range(n):
            self.layers = self.layers + [nn.Linear(d, d)]
        self.blocks = []  # expect: TPC003
        for _ in range(n):
            self.blocks += [nn.Linear(d, d)]
""",

    # A dict made by dict() and filled item by item.
    """
class Named(nn.Module):
    def __init__(self, names):
        super().__init__()
        self.heads = dict()  # expect: TPC003
        for name in names:
            self.heads[name] = nn.Linear(1, 1)
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
FIXES = [
    (
        """
class Stack(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = [nn.Linear(4, 4) for _ in range(n)]
        self.pair = (nn.ReLU(),)
        self.heads = {"a": nn.Linear(4, 1), "b": nn.Linear(4, 2)}
        self.filled = []
        for _ in range(n):
            self.filled.append(nn.Linear(4, 4))
        blocks = [nn.ReLU(), nn.Tanh()]
        self.blocks = blocks
""",
        """
class Stack(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])
        self.pair = nn.ModuleList([nn.ReLU()])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 1), "b": nn.Linear(4, 2)})
        self.filled = nn.ModuleList()
        for _ in range(n):
            self.filled.append(nn.Linear(4, 4))
        blocks = [nn.ReLU(), nn.Tanh()]
        self.blocks = nn.ModuleList(blocks)
""",
    ),
]
