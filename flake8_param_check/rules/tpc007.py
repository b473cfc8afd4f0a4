"""TPC007 shared module repeated.

One Module object placed several times in a container: ``[block] * n``, ``n * [layer]``,
``[layer for _ in range(n)]`` over a ``layer`` built once, ``itertools.repeat(layer, n)``, in a
plain list or handed to ``nn.ModuleList``/``nn.Sequential``.  Every entry is that one object, so
the entries share their parameters: the model has a fraction of the weights it appears to have.
Modules without parameters or buffers (``nn.ReLU()``, ``nn.Dropout()``, pooling) are fine to
share, and so is an object the code names as shared (``shared_head``, ``if cfg.share_heads:``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import torch_names as tn
from ..values import Kind
from ._base import Scope, cst, kit
from ._containers import container_fix_allowed

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding
    from ._fixkit import FixSite, Plan

CODE = "TPC007"
NAME = "shared-module-repeated"
MESSAGE = (
    "'self.{attr}' holds one {element} object several times ({how}): every entry shares its "
    "parameters; build one per entry ([... for _ in range(n)], or copy.deepcopy)"
)
SUMMARY = "One Module object repeated in a container: the entries share their weights."
SCOPE = Scope.INIT
#: Before TPC003 (40): a plain list repeating one layer is reported as sharing, since wrapping it
#: in nn.ModuleList alone would keep the sharing.  A container is never a tensor (TPC005, TPC002,
#: TPC001 come first and cannot fire on it).
PRIORITY = 35


def check(binding: Binding) -> dict[str, str] | None:
    value = binding.value
    if binding.shared is None or binding.sharing_asked or value is None or value.repeated is None:
        return None
    if value.kind is Kind.CONTAINER and value.consumed:
        return None  # handed to nn.Sequential(*xs) or the like: reported there
    return {"element": binding.shared, "how": value.repeated}


def plan_fix(site: FixSite) -> Plan | None:
    """``[E] * n`` -> ``[E for _ in range(n)]`` when ``E`` builds a Module, else
    ``[copy.deepcopy(E) for _ in range(n)]``; the same inside ``nn.ModuleList(...)`` and
    ``nn.Sequential(*...)``, and for ``[E for _ in ...]`` over one object and
    ``itertools.repeat(E, n)``.  A plain list on ``self`` is also wrapped in ``nn.ModuleList``,
    and left as it is where TPC003's fix would not be made (fixing only the sharing would
    reveal TPC003)."""
    value = site.assign.value
    plain = site.binding.value is not None and site.binding.value.kind is Kind.CONTAINER
    inner = value.args[0].value if isinstance(value, cst.Call) and len(value.args) == 1 else None
    if plain:
        repeated = value
    elif inner is not None and isinstance(value, cst.Call) and _sequence(site, value):
        repeated = inner
    else:
        return None
    deepcopy = site.function_name(tn.DEEPCOPY)
    new = _per_entry(site, repeated, deepcopy[0] if deepcopy else None)
    if new is None:
        return None
    copies = deepcopy is not None and any(
        isinstance(n, cst.Call) and kit.dotted(n.func) == deepcopy[0] for n in kit.walk(new))
    imports = (deepcopy[1],) if copies and deepcopy is not None and deepcopy[1] else ()
    if plain and not container_fix_allowed(site, Kind.MODULE, *tn.MODULE_CONTAINERS):
        return None

    def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
        old = statement.body[0]
        assert isinstance(old, cst.Assign)
        if plain:
            made = cst.Call(kit.nn_attr(nn, tn.MODULE_CONTAINERS[0]), [cst.Arg(new)])
            return statement.with_changes(body=[old.with_changes(value=kit.keep_parens(old.value, made))])
        call = old.value
        assert isinstance(call, cst.Call)
        arg = call.args[0]
        return statement.with_changes(body=[old.with_changes(value=call.with_changes(
            args=[arg.with_changes(value=kit.keep_parens(arg.value, new))]))])
    return site.plan(rewrite, needs_nn=plain, imports=imports)


def _sequence(site: FixSite, call: cst.Call) -> bool:
    """``nn.ModuleList(xs)`` or ``nn.Sequential(*xs)`` (one argument)."""
    qualified = site.qualified(call.func)
    layer = tn.torch_layer_name(qualified) if qualified else None
    if layer not in tn.MODULE_SEQUENCES or call.args[0].keyword is not None:
        return False
    return bool(call.args[0].star) == (layer == "Sequential")


def _per_entry(site: FixSite, node: cst.BaseExpression, deepcopy: str | None) -> cst.BaseExpression | None:
    """A comprehension making one object per entry of what ``node`` repeats (``deepcopy``: how
    the file names ``copy.deepcopy``); ``None`` when ``node`` has no shape the fix knows."""
    node = kit.unparenthesized(node)
    element: cst.BaseExpression | None = None
    count: cst.BaseExpression | None = None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for one, other in ((node.left, node.right), (node.right, node.left)):
            one = kit.unparenthesized(one)
            single = isinstance(one, cst.List) and len(one.elements) == 1
            if single and isinstance(one.elements[0], cst.Element):  # type: ignore[attr-defined]
                element, count = one.elements[0].value, other  # type: ignore[attr-defined]
    elif isinstance(node, cst.ListComp) and _single_loop(node.for_in):
        element, count = node.elt, None
    elif isinstance(node, cst.Call) and site.qualified(node.func) in tn.REPEAT_FUNCTIONS:
        if len(node.args) == 2 and not any(a.keyword or a.star for a in node.args):
            element, count = node.args[0].value, node.args[1].value
    if element is None or kit.has_comment(node):
        return None
    if count is not None and any(isinstance(n, cst.Name) and n.value == "_" for n in kit.walk(node)):
        return None  # the new comprehension's ``_`` would hide a name the element reads
    builds = isinstance(element, cst.Call) and site.builds_module(element)
    if builds and count is None:
        return None  # a comprehension that already builds one per entry
    if not builds:
        if deepcopy is None:
            return None
        element = cst.Call(cst.parse_expression(deepcopy), [cst.Arg(element)])
    if count is None:
        assert isinstance(node, cst.ListComp)
        return node.with_changes(elt=element)
    comprehension = cst.CompFor(
        target=cst.Name("_"),
        iter=cst.Call(cst.Name("range"), [cst.Arg(kit.unparenthesized(count))]),
    )
    return cst.ListComp(element, comprehension)


def _single_loop(for_in: cst.CompFor) -> bool:
    return for_in.inner_for_in is None and not for_in.ifs and for_in.asynchronous is None


WHY = (
    "`[block] * n` makes a list of `n` references to one `block`, and a comprehension whose "
    "element is a name bound outside it does the same.  `nn.ModuleList` and `nn.Sequential` "
    "register what they are given, so the model runs the same layer `n` times: "
    "`model.parameters()` yields its weights once, every entry trains the same tensors, and "
    "the model has a fraction of the capacity its code describes.  Nothing fails: the shapes "
    "agree, the loss goes down, and the bug only shows as a parameter count that is too small.  "
    "Wrapping the list in `nn.ModuleList` (the fix of TPC003) registers it but keeps the sharing, "
    "so this code is reported instead of TPC003."
)

FIX_TEXT = (
    "`--fix` makes one object per entry: `[Block(d)] * n` becomes `[Block(d) for _ in range(n)]` "
    "when the repeated element builds a Module, and a repeated variable becomes "
    "`[copy.deepcopy(layer) for _ in range(n)]` (adding `import copy` when the file has no name "
    "for it); the same inside `nn.ModuleList(...)` and `nn.Sequential(*...)`, and for a "
    "comprehension over one object or `itertools.repeat(layer, n)`.  A plain list on `self` is "
    "also wrapped in `nn.ModuleList`, as TPC003's fix does (and left as it is where that fix "
    "would not be made).  A list made through a local name is left as it is."
)

FIELDS_TEXT = (
    "`{attr}` is the attribute's name; `{element}` the repeated Module's class; `{how}` how it "
    "is repeated (`[x] * n`, a comprehension over one object, `repeat(x, n)`)."
)


VALID = [
    """
import copy

class Encoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])
        layer = nn.Linear(4, 4)
        self.copies = nn.ModuleList([copy.deepcopy(layer) for _ in range(n)])
""",
    # Modules without parameters or buffers share nothing.
    """
class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)

class Net(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.acts = nn.ModuleList([nn.ReLU()] * n)
        self.drops = nn.Sequential(*[nn.Dropout(0.1)] * n)
        self.swishes = nn.ModuleList([Swish()] * n)
""",
    # Sharing asked for by name: a shared_... variable, a share_... option.
    """
class Heads(nn.Module):
    def __init__(self, n, share_heads):
        super().__init__()
        shared_head = nn.Linear(4, 2)
        self.heads = nn.ModuleList([shared_head] * n)
        if share_heads:
            self.towers = nn.ModuleList([nn.Linear(4, 4)] * n)
        else:
            self.towers = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])
""",
    # Every entry replaced by a new layer afterwards.
    """
class Rebuilt(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4)] * n)
        for i in range(n):
            self.layers[i] = nn.Linear(4, 4)
""",

]

INVALID = [
    """
class Encoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        block = nn.Linear(4, 4)
        self.blocks = nn.ModuleList([block] * n)  # expect: TPC007
        self.layers = [nn.Linear(4, 4)] * n  # expect: TPC007
        self.stack = nn.Sequential(*[nn.Linear(4, 4)] * n)  # expect: TPC007
        self.heads = nn.ModuleList(n * [nn.Linear(4, 2)])  # expect: TPC007
""",
    # A comprehension over one object, itertools.repeat, a layer of the project, a helper.
    """
import itertools

class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.proj = nn.Linear(d, d)

def make_stack(d, n):
    return nn.Sequential(*[Block(d)] * n)

class Tower(nn.Module):
    def __init__(self, d, depth):
        super().__init__()
        layer = Block(d)
        self.layers = nn.ModuleList([layer for _ in range(depth)])  # expect: TPC007
        self.more = nn.Sequential(*itertools.repeat(Block(d), depth))  # expect: TPC007
        self.stack = make_stack(d, depth)  # expect: TPC007
""",

]

#: What the fixer makes of a statement: (before, after), each after the common example header.
FIXES = [
    (
        """
import copy

class Encoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        block = nn.Linear(4, 4)
        self.blocks = nn.ModuleList([block] * n)
        self.stack = nn.Sequential(*[nn.Linear(4, 4)] * n)
        self.layers = [nn.Linear(4, 4)] * n
        self.more = nn.ModuleList([block for _ in range(n)])
""",
        """
import copy

class Encoder(nn.Module):
    def __init__(self, n):
        super().__init__()
        block = nn.Linear(4, 4)
        self.blocks = nn.ModuleList([copy.deepcopy(block) for _ in range(n)])
        self.stack = nn.Sequential(*[nn.Linear(4, 4) for _ in range(n)])
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(n)])
        self.more = nn.ModuleList([copy.deepcopy(block) for _ in range(n)])
""",
    ),
]
