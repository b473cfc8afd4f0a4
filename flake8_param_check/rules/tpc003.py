"""TPC003 plain container of modules.

Layers kept in a Python ``list``, ``tuple`` or ``dict`` on ``self``: ``nn.Module`` does not look
inside, so their parameters are not in ``model.parameters()``, not in ``state_dict()``, and not moved
by ``.to()``.  ``nn.ModuleList`` and ``nn.ModuleDict`` register them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import Scope, core
from ._containers import CONTAINER_FIELDS, message_fields, plan_container, unregistered_leaves

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC003"
NAME = "plain-container-of-modules"
MESSAGE = (
    "'self.{attr}' is a plain {container} of modules: their parameters are not registered; "
    "use nn.{fix}"
)
SUMMARY = "Layers kept in a Python list, tuple or dict are not registered."
SCOPE = Scope.INIT
#: Before TPC004: a container holding a module is reported as a container of modules.
PRIORITY = 40


def check(binding: Binding) -> dict[str, str] | None:
    leaves = unregistered_leaves(binding)
    if leaves and any(leaf.kind is Kind.MODULE for leaf in leaves):
        return message_fields(binding, *tn.MODULE_CONTAINERS)
    return None


def plan_fix(site: FixSite) -> Plan | None:
    return plan_container(site, core.MODULE, *tn.MODULE_CONTAINERS)


WHY = (
    "`nn.Module.__setattr__` registers a submodule only when the Module itself is the value.  "
    "Layers inside a Python list, tuple or dict are not looked at: their weights are missing "
    "from `model.parameters()` (the optimizer never trains them), from `state_dict()` (a "
    "checkpoint silently drops them), and from `.to(device)` (they stay on the CPU).  "
    "`model.eval()` does not reach them either, so their dropout and batch-norm layers stay in "
    "training mode at inference time."
)

FIX_TEXT = (
    "`--fix` wraps the container: a list, a tuple, a list comprehension or a local name becomes "
    "`nn.ModuleList(...)`, a dict with string keys `nn.ModuleDict(...)`, `[]` becomes "
    "`nn.ModuleList()` and `{}` becomes `nn.ModuleDict()`."
)

FIELDS_TEXT = CONTAINER_FIELDS


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
    def __init__(self, sizes=(4, 8, 2)):
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

    # An argument annotated as a Module, kept in a list.
    """
from typing import Optional

class Shared(nn.Module):
    def __init__(self, block: nn.Module = nn.Linear(2, 2), extra: Optional[nn.Module] = nn.ReLU()):
        super().__init__()
        self.blocks = [block, extra]  # expect: TPC003
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
    ),    (
        """
class Grown(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.layers = []
        for _ in range(n):
            self.layers = self.layers + [nn.Linear(d, d)]
""",
        """
class Grown(nn.Module):
    def __init__(self, d, n):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(n):
            self.layers = self.layers + [nn.Linear(d, d)]
""",
    ),

]
