"""TPC008 module built in forward.

A torch layer with parameters, buffers or a train/eval behaviour (``nn.Linear``, ``nn.Conv2d``,
norms, ``nn.Embedding``, ``nn.Dropout``, RNNs...), a Module class of the project, or
``nn.Parameter(...)``, built in ``forward`` or in a method ``forward`` calls, outside a guard that
builds it once (``if self.proj is None:``).  Whether it is called at once
(``nn.Linear(d, d)(x)``), kept in a local or stored on ``self``, it is built again on every call.
Not reported: a frozen Parameter (``requires_grad=False``), a class of the project whose weights
are not known to be its own (a wrapper of a Module it is given), and anything built by a
``forward`` that also builds an optimizer (a training routine, which trains what it builds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..effects import Holds
from ..values import Kind
from ._base import CONSTRUCTIONS, Scope

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Construction

CODE = "TPC008"
NAME = "module-built-in-forward"
MESSAGE = (
    "{attr}(...) is built in {method}(), which runs on every call: {effect}; create it once in "
    "__init__{or_else}"
)
SUMMARY = "A layer or Parameter built in forward is new on every call: never trained, deaf to eval()."
JUDGES = CONSTRUCTIONS
SCOPE = Scope.FORWARD
#: After the binding rules: ``self.w = nn.Parameter(t).cuda()`` in forward is TPC005.
PRIORITY = 60

_FRESH = "its weights are drawn afresh each time and never reach the optimizer"
_PARAMETER = "a new Parameter each time, which no optimizer holds"
_MODE = "it is built in training mode each time, so model.eval() never reaches it"
_FUNCTIONAL = ", or use the functional form with the Module's mode (F.dropout(x, p, self.training))"


def check(fact: Construction) -> dict[str, str] | None:
    if fact.lazy or fact.trained:
        return None
    if fact.kind is Kind.PARAMETER:
        return {"method": fact.method, "effect": _PARAMETER, "or_else": ""}
    if fact.holds is Holds.STATE:
        return {"method": fact.method, "effect": _FRESH, "or_else": ""}
    if fact.holds is Holds.MODE:
        return {"method": fact.method, "effect": _MODE, "or_else": _FUNCTIONAL}
    return None


plan_fix = None

WHY = (
    "`forward` runs on every call.  A layer built there gets new, randomly initialised weights "
    "each time, and those weights are not in the `model.parameters()` that the optimizer was "
    "given when training started: the layer never learns, and the model's output changes from "
    "one call to the next for the same input.  Storing it on `self` in `forward` registers it, "
    "but replaces it on the next call, so the optimizer still holds the old one.  A Dropout "
    "built there starts in training mode every time: `model.eval()` cannot switch it off, so "
    "inference stays random.  The same holds for a method `forward` calls."
)

FIX_TEXT = (
    "No automatic fix: where the layer belongs (its sizes, its name on `self`) is a design "
    "decision.  Create it in `__init__` and call it in `forward`; for a parameter-free "
    "operation that depends on the mode, use its functional form with `self.training` "
    "(`F.dropout(x, p, self.training)`).  A layer whose sizes are only known at the first call "
    "can be built once behind a guard (`if self.proj is None:`), or use a `nn.Lazy*` layer."
)

FIELDS_TEXT = (
    "`{attr}` is what is built (`nn.Linear`, a class of the project, `nn.Parameter`); `{method}` "
    "the method that builds it; `{effect}` what goes wrong; `{or_else}` the functional "
    "alternative, for a layer without parameters whose behaviour depends on the mode."
)


VALID = [
    # Built once: in __init__ (or a method it calls), or lazily behind a guard.
    """
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = self._make()
        self.out = None

    def _make(self):
        return nn.Linear(4, 4)

    def forward(self, x):
        if self.out is None:
            self.out = nn.Linear(x.shape[-1], 4)
        if not hasattr(self, "norm"):
            self.norm = nn.LayerNorm(4)
        return self.norm(self.out(self.proj(x)))
""",
    # Layers without parameters, buffers or train/eval behaviour (a norm without affine weights
    # or running statistics too), and the functional forms.
    """
class Act(nn.Module):
    def __init__(self):
        super().__init__()
        self.p = 0.5

    def forward(self, x):
        x = nn.ReLU()(x)
        x = nn.Flatten()(x)
        x = nn.LayerNorm(4, elementwise_affine=False)(x)
        x = nn.Softmax(dim=1)(x)
        return nn.functional.dropout(x, self.p, self.training)
""",
    # What builds no fresh weights: a frozen Parameter (no optimizer wants it), a wrapper whose
    # only Module is the one it is given.
    """
class Scaled(nn.Module):
    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x) * 2

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        frozen = nn.Parameter(self.proj.weight.detach() * 2, requires_grad=False)
        return Scaled(self.proj)(x) @ frozen
""",
    # A forward that builds an optimizer is a training routine: it trains what it builds.
    """
class Embedder(nn.Module):
    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def forward(self, data):
        encoder = nn.Linear(data.shape[-1], 8)
        self.mask = nn.Parameter(torch.zeros(data.shape[0]))
        optimizer = torch.optim.Adam([*encoder.parameters(), self.mask], lr=1e-3)
        for _ in range(self.epochs):
            optimizer.zero_grad()
            encoder(data * self.mask[:, None]).pow(2).mean().backward()
            optimizer.step()
        return encoder(data).detach()
""",

]

INVALID = [
    """
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x):
        x = nn.Linear(4, 4)(x)  # expect: TPC008
        proj = nn.Linear(4, 4)  # expect: TPC008
        self.norm = nn.LayerNorm(4)  # expect: TPC008
        return self.norm(proj(x)) * self.scale
""",
    # In a method forward calls, a Parameter, a Dropout (which model.eval() cannot reach).
    """
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x):
        return self._drop(x) * self.scale

    def _drop(self, x):
        gain = nn.Parameter(torch.ones(4))  # expect: TPC008
        return nn.Dropout(0.5)(x * gain)  # expect: TPC008
""",

]

#: No fix: where a layer belongs is a design decision.
FIXES: list[tuple[str, str]] = []
