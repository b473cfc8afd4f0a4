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
        "kind", "trainable", "converted", "registered", "container", "elements", "str_keys", "consumed"
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
    ) -> None:
        self.kind = kind
        self.trainable = trainable  #: requires_grad=True on a raw tensor
        self.converted = converted  #: ``nn.Parameter(...).<converted>()``: TPC005
        self.registered = False  #: the object is also registered on the Module another way
        self.container = container  #: which container, for Kind.CONTAINER
        self.elements: list[Optional[Val]] = elements if elements is not None else []
        self.str_keys = str_keys  #: every key of a dict literal is a string literal
        self.consumed = False  #: the container was handed to a Module (nn.Sequential(*xs))

    def copy(self) -> "Val":
        return Val(self.kind, trainable=self.trainable, converted=self.converted, container=self.container,
                   elements=list(self.elements), str_keys=self.str_keys)

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


def container(which: Container, elements: "list[Optional[Val]]", str_keys: bool = True) -> Val:
    return Val(Kind.CONTAINER, container=which, elements=elements, str_keys=str_keys)


def join(a: Optional[Val], b: Optional[Val]) -> Optional[Val]:
    """What a name holds after two paths meet: known only when both paths agree."""
    if a is b:
        return a
    if a is None or b is None or a.kind != b.kind or a.kind is Kind.CONTAINER:
        return None
    merged = Val(a.kind, trainable=a.trainable and b.trainable,
                 converted=a.converted if a.converted == b.converted else None)
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
    branches = [v for v in (body, orelse) if v is not None]
    if not branches or any(v.kind is Kind.CONTAINER for v in branches):
        return None
    if len(branches) == 1 or branches[0].kind == branches[1].kind:
        merged = branches[0] if len(branches) == 1 else join(branches[0], branches[1])
        return Val(branches[0].kind, trainable=branches[0].trainable) if merged is None else merged
    plain = [v for v in branches if v.kind is Kind.TENSOR]
    return tensor(all(v.trainable for v in plain)) if plain else None


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
