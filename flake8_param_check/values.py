"""What an expression can hold, as far as the analysis knows: the vocabulary every layer shares.

A :class:`Val` is one value the inference tracks (a tensor, a Parameter, a buffer, a Module, or a
plain container of those); ``None`` stands for *unknown*, which is never reported.  Nothing here
knows about syntax (``ast`` or libcst) or about torch's names: see :mod:`.effects` for what a call
gives and :mod:`.torch_names` for the names themselves.
"""

from __future__ import annotations

import enum
from typing import Dict, Iterator, Optional, Sequence


class Kind(str, enum.Enum):
    """What a value is.  (A ``str`` Enum: its members print and sort as their names.)"""

    TENSOR = "tensor"  #: a plain ``torch.Tensor``, not registered by assigning it
    PARAMETER = "parameter"  #: ``nn.Parameter``: registered by assigning it to ``self``
    BUFFER = "buffer"  #: ``nn.Buffer``: registered by assigning it to ``self``
    MODULE = "module"  #: an ``nn.Module`` instance: registered by assigning it to ``self``
    CONTAINER = "container"  #: a plain list, tuple or dict (``Val.container`` says which)
    NONE = "none"  #: the value ``None`` (on one path: an optional value)
    CALLABLE = "callable"  #: ``functools.partial(f, ...)``: calling it calls ``Val.target``
    DISTRIBUTION = "distribution"  #: a ``torch.distributions`` object: its samples are tensors

    def __str__(self) -> str:
        return self.value


#: Kinds that are tensors (operators and tensor methods work on them).
TENSOR_LIKE = frozenset({Kind.TENSOR, Kind.PARAMETER, Kind.BUFFER})
#: Kinds that ``nn.Module.__setattr__`` registers when assigned to ``self``.
REGISTERS = frozenset({Kind.PARAMETER, Kind.BUFFER, Kind.MODULE})


class Container(str, enum.Enum):
    LIST = "list"
    TUPLE = "tuple"
    DICT = "dict"

    def __str__(self) -> str:
        return self.value


class Val:
    """What an expression holds.  Identity matters: ``x = nn.Linear(...)`` then ``self.a = x``
    and ``self.b = [x]`` share one Val, so the list's element is known to be registered."""

    __slots__ = (
        "kind", "trainable", "converted", "registered", "container", "elements", "str_keys", "consumed",
        "exact", "target", "float32", "repeated", "made_by", "holds",
    )

    def __init__(
        self,
        kind: Kind,
        *,
        trainable: bool = False,
        converted: Optional[str] = None,
        container: Optional[Container] = None,
        elements: "Optional[list[Optional[Val]]]" = None,
        str_keys: bool = True,
        exact: bool = False,
        target: object = None,
        float32: bool = False,
        made_by: object = None,
    ) -> None:
        self.kind = kind
        self.trainable = trainable  #: requires_grad=True on a raw tensor
        self.converted = converted  #: ``nn.Parameter(...).<converted>()``: TPC005
        self.registered = False  #: the object is also registered on the Module another way
        self.container = container  #: which container, for Kind.CONTAINER
        self.elements: list[Optional[Val]] = elements if elements is not None else []
        self.str_keys = str_keys  #: every key of a dict literal is a string literal
        self.consumed = False  #: the container was handed to a Module (nn.Sequential(*xs))
        #: A list or tuple whose ``elements`` are its items in order (a display such as
        #: ``(a, b)``); otherwise each element stands for any number of items.
        self.exact = exact
        self.target = target  #: what a CALLABLE calls (a meaning of the symbols layer)
        self.float32 = float32  #: a tensor known to be float32 (``.float()`` gives it back)
        #: A list or tuple holding one object several times, and how (``"[x] * n"``); a Module
        #: made by ``nn.ModuleList``/``nn.Sequential`` of such a list, whose ``elements`` are
        #: then the repeated objects.
        self.repeated: Optional[str] = None
        #: The class that built a Module (a qualified name, or a class of the project as the
        #: symbols layer names it).
        self.made_by = made_by
        #: For a torch layer whose arguments decide what it holds (a norm's ``affine=False``):
        #: what it holds (an ``effects.Holds``), or :data:`UNKNOWN_HOLDS`.
        self.holds: object = None

    def copy(self) -> "Val":
        copied = Val(self.kind, trainable=self.trainable, converted=self.converted, container=self.container,
                     elements=list(self.elements), str_keys=self.str_keys, exact=self.exact,
                     target=self.target, float32=self.float32, made_by=self.made_by)
        copied.repeated = self.repeated
        copied.holds = self.holds
        return copied

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        extra = " trainable" if self.trainable else ""
        extra += f" converted={self.converted}" if self.converted else ""
        extra += f" {self.container}{self.elements}" if self.kind is Kind.CONTAINER else ""
        return f"<{self.kind}{extra}>"

    @property
    def is_tensor(self) -> bool:
        return self.kind in TENSOR_LIKE

    def leaves(self, depth: int = 0) -> Iterator["Val"]:
        """The non-container values inside a container (nested containers flattened)."""
        for element in self.elements:
            if element is None:
                continue
            if element.kind is Kind.CONTAINER and depth < 8:
                yield from element.leaves(depth + 1)
            else:
                yield element


def tensor(trainable: bool = False) -> Val:
    return Val(Kind.TENSOR, trainable=trainable)


def container(which: Container, elements: "list[Optional[Val]]", str_keys: bool = True,
              exact: bool = False) -> Val:
    return Val(Kind.CONTAINER, container=which, elements=elements, str_keys=str_keys, exact=exact)


#: :attr:`Val.holds` of a layer whose arguments cannot be read.
UNKNOWN_HOLDS = "unknown"

NONE = Val(Kind.NONE)  #: the value ``None`` (shared: it holds nothing that could change)


def join(a: Optional[Val], b: Optional[Val]) -> Optional[Val]:
    """What a name holds after two paths meet: known only when both paths agree, or when one
    path holds ``None`` (then it is an optional value of the other's kind)."""
    if a is b:
        return a
    if a is None or b is None:
        return None
    if a.kind is Kind.NONE:
        return b
    if b.kind is Kind.NONE:
        return a
    if a.kind != b.kind or a.kind in (Kind.CONTAINER, Kind.CALLABLE):
        return None
    merged = Val(a.kind, trainable=a.trainable and b.trainable,
                 converted=a.converted if a.converted == b.converted else None,
                 float32=a.float32 and b.float32)
    merged.registered = a.registered and b.registered
    return merged


def join_all(values: Sequence[Optional[Val]]) -> Optional[Val]:
    """:func:`join` over several paths (``None`` when there is none)."""
    if not values:
        return None
    result = values[0]
    for value in values[1:]:
        result = join(result, value)
    return result


def either(body: Optional[Val], orelse: Optional[Val]) -> Optional[Val]:
    """``a if c else b``.  One unknown (or ``None``) branch keeps the other's kind: an optional
    Parameter is a Parameter.  Two different kinds with a plain tensor among them give a tensor:
    that path stores an unregistered one."""
    branches = [v for v in (body, orelse) if v is not None and v.kind is not Kind.NONE]
    if not branches or any(v.kind in (Kind.CONTAINER, Kind.CALLABLE) for v in branches):
        return None
    if len(branches) == 1 or branches[0].kind == branches[1].kind:
        merged = branches[0] if len(branches) == 1 else join(branches[0], branches[1])
        return Val(branches[0].kind, trainable=branches[0].trainable) if merged is None else merged
    plain = [v for v in branches if v.kind is Kind.TENSOR]
    return tensor(all(v.trainable for v in plain)) if plain else None


def items(value: Optional[Val], count: int) -> "list[Optional[Val]]":
    """What each of ``count`` targets gets from unpacking ``value`` (``a, b = value``): the items
    of a list or tuple of that length, the kind every item of a sequence shares, a tensor's
    rows; unknown otherwise."""
    if value is None:
        return [None] * count
    if value.is_tensor:
        return [tensor(value.trainable and value.kind is Kind.TENSOR) for _ in range(count)]
    if value.kind is not Kind.CONTAINER or value.container is Container.DICT:
        return [None] * count
    if value.exact:
        return list(value.elements) if len(value.elements) == count else [None] * count
    shared = join_all(value.elements)
    if shared is None or shared.kind in (Kind.CONTAINER, Kind.NONE):
        return [None] * count
    return [Val(shared.kind, trainable=shared.trainable) for _ in range(count)]


#: Local name -> what it holds (``None``: unknown).
Env = Dict[str, Optional[Val]]


def merge_envs(base: Env, branches: Sequence[Env]) -> Env:
    """The environment after branches that each started from ``base``."""
    if not branches:
        return base
    names: set[str] = set()
    for env in branches:
        names.update(env)
    merged: Env = {}
    for name in names:
        value = branches[0].get(name)
        for env in branches[1:]:
            value = join(value, env.get(name))
        merged[name] = value
    return merged
