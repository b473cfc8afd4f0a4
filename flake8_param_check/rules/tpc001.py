"""TPC001 unregistered tensor attribute.

A tensor stored on ``self`` in ``__init__`` (or in a method ``__init__`` calls) that is neither a
Parameter nor a buffer.  ``model.to(device)`` leaves it on the old device and ``state_dict()``
does not hold it.  Assigning to a name already registered as a buffer updates the buffer and is
fine; so is a tensor that ``__init__`` later re-wraps as a Parameter or deletes and registers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import Scope, core, cst, kit

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC001"
NAME = "unregistered-tensor"
MESSAGE = (
    "tensor 'self.{attr}' is not registered: it is left behind by .to()/.cuda() and "
    "missing from state_dict(); use self.register_buffer('{attr}', ..., persistent=False){first}, "
    "or nn.Parameter if it is meant to be trained"
)
SUMMARY = "A plain tensor stored on self in __init__ is invisible to the Module."
SCOPE = Scope.INIT
#: After TPC005 and TPC002: a tensor that requires grad, or a converted Parameter, is reported as such.
PRIORITY = 30


def check(binding: Binding) -> dict[str, object] | None:
    return {"first": first_binding(binding)} if unregistered_tensor(binding) else None


def first_binding(binding: Binding) -> object:
    """The message's ``{first}``: where to register, when ``__init__`` bound the attribute
    before (``self.pe = None`` ... ``self.pe = table``): register_buffer raises KeyError on an
    attribute that already exists, so the buffer is registered at the first binding."""
    first = _dominating_first(binding)
    if first is None:
        return ""
    return lambda line: f" where it is first bound (line {line(first)})"


def _dominating_first(binding: Binding) -> Binding | None:
    """The first binding, when every path to ``binding`` runs it (same block, or one around)."""
    first = binding.first
    if first is None or binding.blocks[: len(first.blocks)] != first.blocks:
        return None
    return first


def fix_target(binding: Binding) -> Binding | None:
    """The statement a fix rewrites when ``__init__`` binds the attribute more than once: the
    first binding (see :func:`first_binding`), in the same method; ``None``: the finding's own
    statement (bound once)."""
    if binding.first is not None:
        first = _dominating_first(binding)
        return first if first is not None and first.span == binding.span else None
    return binding if binding.rebound else None


def unregistered_tensor(binding: Binding) -> bool:
    """A plain tensor stored on ``self`` that nothing registers, and that no ``_apply`` override
    moves with the Module (TPC006 takes the ones another method moves by hand)."""
    value = binding.value
    if value is None or value.kind is not Kind.TENSOR:
        return False
    return not binding.registered_before and not binding.applied


def plan_fix(site: FixSite) -> Plan | None:
    """``self.x = t`` -> ``self.register_buffer("x", t, persistent=False)``, or with the
    ``nn.Buffer`` style ``self.x = nn.Buffer(t, persistent=False)``."""
    attr = site.attr
    if attr in tn.MODULE_ATTRIBUTES or site.class_defines(attr):
        return None
    at_first = site.binding.rebound  # the first of several bindings in __init__ (fix_target)
    plain = (Kind.TENSOR, Kind.NONE)
    for other in site.other_bindings():
        # Later updates elsewhere are fine while they store tensors (they update the buffer);
        # at the first binding, so are later ones in __init__ that store plain tensors or None
        # (a Parameter there would meet the buffer's name).
        if other is None or other.value is None:
            return None
        if other.in_init and (not at_first or other.value.kind not in plain):
            return None
        if other.value.kind not in core.TENSOR_LIKE and other.value.kind is not Kind.NONE:
            return None
    if at_first and (site.binding.value is None or site.binding.value.kind not in plain):
        return None
    if site.base_bindings(init_too=True):  # a plain attribute first: register_buffer refuses
        return None
    self_name = site.self_name
    if self_name is None:
        return None
    if site.settings.buffer_style == "nn.Buffer":
        return site.plan(_nn_buffer, needs_nn=True)

    def register(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Assign)
        name = cst.SimpleString(f'"{attr}"')
        call = cst.Call(
            cst.Attribute(cst.Name(self_name), cst.Name(tn.REGISTER_BUFFER)),
            [cst.Arg(name), cst.Arg(old.value), kit.keyword_arg(tn.PERSISTENT_KEYWORD, "False")],
        )
        return statement.with_changes(body=[cst.Expr(call, semicolon=old.semicolon)])
    return site.plan(register, needs_nn=False)


def _nn_buffer(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
    old = statement.body[0]
    assert isinstance(old, cst.Assign)
    args = [cst.Arg(kit.unparenthesized(old.value)), kit.keyword_arg(tn.PERSISTENT_KEYWORD, "False")]
    value = cst.Call(kit.nn_attr(nn, tn.NN_BUFFER), args)
    return statement.with_changes(body=[old.with_changes(value=kit.keep_parens(old.value, value))])


WHY = (
    "`nn.Module` only tracks Parameters, buffers and submodules; a tensor assigned to a plain "
    "attribute is invisible to it.  `model.to(device)`, `.cuda()` and `.half()` leave it where "
    "it was, so the first forward pass on the GPU fails with *Expected all tensors to be on the "
    "same device* (or silently mixes dtypes).  `state_dict()` does not contain it, so a "
    "checkpoint does not save it and `load_state_dict()` cannot restore it.  Under "
    "`DistributedDataParallel` it is not broadcast from rank 0 like buffers are, so replicas can "
    "drift apart."
)

FIX_TEXT = (
    "`--fix` registers the tensor as a buffer: `self.x = t` becomes "
    "`self.register_buffer(\"x\", t, persistent=False)`, or `self.x = nn.Buffer(t, "
    "persistent=False)` with `--buffer-style nn.Buffer` (PyTorch 2.5 or later).  "
    "`persistent=False` keeps the keys of `state_dict()` as they were, so existing checkpoints "
    "still load; drop it when the tensor should be saved, or use `nn.Parameter` when it is meant "
    "to be trained."
)

FIELDS_TEXT = "`{attr}` is the attribute's name."


VALID = [
    # A buffer, and a Parameter.
    """
class PositionalEncoding(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("pe", torch.zeros(n, 16), persistent=False)
        self.scale = nn.Parameter(torch.ones(1))
""",
    # Assigning to a registered buffer updates it.
    """
class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("total", torch.zeros(1))
        self.total = torch.ones(1)
""",
    # The final binding is a Parameter.
    """
class Frozen(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.m = torch.eye(n)
        self.m = nn.Parameter(self.m, requires_grad=False)
""",
    # Deleted, then registered as a buffer.
    """
class Moved(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = torch.arange(10)
        del self.table
        self.register_buffer("table", torch.arange(10))
""",
    # Not a tensor: a list from .tolist(), a Python number, a shape, a device.
    """
class Plain(nn.Module):
    def __init__(self, n):
        super().__init__()
        x = torch.zeros(n)
        x = x.tolist()
        self.x = x
        self.n = torch.zeros(n).numel()
        self.shape = torch.Size([n, n])
        self.device = torch.device("cpu")
        self.act = torch.relu
""",
    # A cache set outside __init__ is not TPC001.
    """
class Cached(nn.Module):
    def forward(self, x):
        self.last = x * 2
        return x
""",
    # Not a Module.
    """
class Dataset(torch.utils.data.Dataset):
    def __init__(self):
        self.data = torch.zeros(10)
""",
    # A class that happens to be called Module is not torch's.
    """
class Module:
    pass

class Thing(Module):
    def __init__(self):
        self.x = torch.zeros(3)
""",
    # A documented plain attribute.
    """
import pytorch_lightning as pl

class Lit(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.example_input_array = torch.zeros(1, 3)
""",
    # Registered on every path; a read of self.x proves the path where it was registered.
    """
class Scale(nn.Module):
    def __init__(self, learn):
        super().__init__()
        if learn:
            self.s = nn.Parameter(torch.ones(3))
        else:
            self.register_buffer("s", torch.ones(3))
        if learn:
            self.register_buffer("m", torch.zeros(3))
        if learn:
            self.m = self.m + 1
""",
    # A tensor a later statement of every path re-wraps; an optional Parameter stays one.
    """
class Wrap(nn.Module):
    def __init__(self, n, w=None):
        super().__init__()
        table = torch.zeros(n)
        self.table = table
        self.table = nn.Parameter(self.table)
        self.w = nn.Parameter(w) if w is not None else None
""",
    # What the base class's __init__ calls is this class's override, which registers.
    """
class Base(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.build(n)

    def build(self, n):
        self.table = None

class Child(Base):
    def build(self, n):
        self.register_buffer("table", torch.ones(n))
        self.table = torch.zeros(n)
""",

    # Unknown values stay unknown: a parameter without annotation, a method of an argument.
    """
class Unknown(nn.Module):
    def __init__(self, data="a b", scale=None):
        super().__init__()
        if scale is not None:
            scale = scale * 2
        self.scale = scale
        self.a, self.b = data.split()
        for row in data:
            self.row = row
""",


]

INVALID = [
    """
class PositionalEncoding(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pe = torch.zeros(n, 16)  # expect: TPC001
""",
    # Through locals, methods, arithmetic on buffers and a helper called from __init__.
    """
def sinusoid(n) -> torch.Tensor:
    return torch.arange(n)

class Encoder(nn.Module):
    def __init__(self, n, dev):
        super().__init__()
        pe = torch.zeros(n)
        pe = pe.unsqueeze(0).to(dev)
        self.pe = pe  # expect: TPC001
        self.register_buffer("total", torch.zeros(1))
        self.half = self.total // 2  # expect: TPC001
        self.table = sinusoid(n)  # expect: TPC001
        self._build()

    def _build(self):
        self.mask = torch.tril(torch.ones(4, 4)).bool()  # expect: TPC001
""",
    # Aliases, nesting, tuple targets, annotated targets, blocks, legacy constructors.
    """
import torch as th
import torch.nn as tnn

class Net(tnn.Module):
    def __init__(self, flag):
        super().__init__()
        if flag:
            self.a, self.b = th.ones(2), th.FloatTensor(3)  # expect: TPC001 TPC001
        for _ in range(2):
            self.c: th.Tensor = th.randn(2)  # expect: TPC001
        with th.no_grad():
            self.d = th.ones(2, 2).T  # expect: TPC001

class Child(Net):
    def __init__(self, w: th.Tensor):
        super().__init__(True)
        self.w = w  # expect: TPC001
""",
    # Registered on one path only (a Parameter, or register_buffer), plain on the other.
    """
class Scale(nn.Module):
    def __init__(self, learn=False):
        super().__init__()
        if learn:
            self.s = nn.Parameter(torch.ones(3))
        else:
            self.s = torch.ones(3)  # expect: TPC001
        self.t = torch.zeros(3)  # expect: TPC001
        if learn:
            self.t = nn.Parameter(self.t)
        if learn:
            self.register_buffer("m", torch.zeros(3))
        else:
            self.m = torch.zeros(3)  # expect: TPC001
""",
    # Tuples: a method's tuple of tensors, splitting functions, max with a dim, a tensor's rows.
    """
from typing import Tuple

def sincos(t) -> Tuple[torch.Tensor, torch.Tensor]:
    return getattr(torch, "cos")(t), getattr(torch, "sin")(t)

class Rotary(nn.Module):
    def __init__(self, n):
        super().__init__()
        t = torch.arange(n)
        self.cos, self.sin = self._tables(t)  # expect: TPC001 TPC001
        self.c2, self.s2 = sincos(t)  # expect: TPC001 TPC001
        a, b = torch.chunk(torch.randn(4, n), 2)
        self.a = a  # expect: TPC001
        values, indices = torch.max(torch.randn(n, n), dim=1)
        self.values = values  # expect: TPC001
        first, second = torch.randn(2, n)
        self.first = first  # expect: TPC001

    def _tables(self, t):
        return t.cos(), t.sin()
""",
    # Static methods through self, return and argument annotations (Optional, unions, strings).
    """
from typing import Optional

def load(n) -> "torch.Tensor":
    return getattr(torch, "ones")(n)

class Embedding(nn.Module):
    def __init__(self, n, path, w: Optional[torch.Tensor] = torch.zeros(2),
                 v: "torch.Tensor | None" = torch.ones(2)):
        super().__init__()
        self.table = self.make(n)  # expect: TPC001
        self.loaded = load(path)  # expect: TPC001
        self.w = w  # expect: TPC001
        self.v = v  # expect: TPC001

    @staticmethod
    def make(n):
        return torch.arange(n).float()
""",
    # Narrowing: isinstance, and None on the other path (an optional tensor).
    """
class Horizon(nn.Module):
    def __init__(self, weight=(1.0, 2.0), scale=1.0, mask=torch.ones(2)):
        super().__init__()
        if weight is not None:
            weight = torch.as_tensor(weight)
        self.weight = weight  # expect: TPC001
        if not isinstance(scale, torch.Tensor):
            scale = torch.tensor(scale)
        self.scale = scale  # expect: TPC001
        assert isinstance(mask, torch.Tensor)
        self.mask = mask  # expect: TPC001
""",
    # A function called later: functools.partial, and an argument whose default is a factory.
    """
import functools

def table(n, scale):
    return torch.arange(n) * scale

class Windowed(nn.Module):
    def __init__(self, n, window_fn=torch.hann_window):
        super().__init__()
        make = functools.partial(table, n)
        self.t = make(2.0)  # expect: TPC001
        self.window = window_fn(n)  # expect: TPC001
        self.cis = functools.partial(table, n)
        self.freqs = self.cis(3.0)  # expect: TPC001
""",
    # An override that the base class's __init__ calls runs during construction.
    """
class Base(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.build(n)

    def build(self, n):
        self.register_buffer("table", torch.zeros(n))

class Child(Base):
    def build(self, n):
        self.table = torch.ones(n)  # expect: TPC001

class Other(Base):
    def __init__(self, n):
        super().__init__(n)
        self.extra = 1

    def build(self, n):
        self.table = torch.ones(n)  # expect: TPC001
""",

    # Samples and moments of torch.distributions objects are tensors.
    """
from torch.distributions import Normal

class Prior(nn.Module):
    def __init__(self, n):
        super().__init__()
        prior = Normal(torch.zeros(n), torch.ones(n))
        self.z = prior.sample()  # expect: TPC001
        self.mu = prior.mean  # expect: TPC001
""",

    # Created on a device in __init__ and never moved again: a later .to() still leaves it.
    """
class Placed(nn.Module):
    def __init__(self, n, device):
        super().__init__()
        self.table = torch.zeros(n, device=device)  # expect: TPC001

    def forward(self, x):
        return x + self.table
""",

    # Bound first to None: the message names that line, where the buffer must be registered.
    """
class Cache(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pe = None
        table = torch.zeros(n)
        self.pe = table  # expect: TPC001
""",


]

#: What the fixer makes of a statement: (before, after), each after the common example header.
FIXES = [
    (
        """
class PositionalEncoding(nn.Module):
    def __init__(self, n):
        super().__init__()
        pe = torch.zeros(n, 16)
        self.pe = pe  # the table
        self.mask = torch.tril(
            torch.ones(n, n)
        ).bool()
""",
        """
class PositionalEncoding(nn.Module):
    def __init__(self, n):
        super().__init__()
        pe = torch.zeros(n, 16)
        self.register_buffer("pe", pe, persistent=False)  # the table
        self.register_buffer("mask", torch.tril(
            torch.ones(n, n)
        ).bool(), persistent=False)
""",
    ),    (
        """
class Cache(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.pe = None
        table = torch.zeros(n)
        self.pe = table
""",
        """
class Cache(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("pe", None, persistent=False)
        table = torch.zeros(n)
        self.pe = table
""",
    ),

]
