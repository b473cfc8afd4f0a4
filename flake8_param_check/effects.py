"""What calls, methods, properties and operators give: the one table both engines read.

The tensor inference (:mod:`.inference`, on libcst) computes a :class:`~.values.Val` for each
expression; the gate (:mod:`.gate`, on ``ast``) only asks whether an expression *may* hold a value
of some kinds.  Both take every answer about torch's semantics from the functions below, so they
cannot disagree about what ``torch.zeros(...)``, ``p.half()``, ``x.T`` or ``a * b`` gives.  The
names themselves are data in :mod:`.torch_names`.
"""

from __future__ import annotations

import enum
from typing import Optional

from . import torch_names as tn
from .values import TENSOR_LIKE, Container, Kind


class Call(enum.Enum):
    """What calling a qualified name gives."""

    TENSOR = "a new plain tensor (trainable with requires_grad=True)"
    PARAMETER = "an nn.Parameter"
    BUFFER = "an nn.Buffer"
    MODULE = "an nn.Module instance, which registers what it is given"
    TENSORS = "a tuple of tensors (torch.chunk, torch.sort)"
    TENSOR_OR_TENSORS = "a tensor, or with a dim argument a tuple (values, indices) (torch.max)"
    FIRST_ARGUMENT = "its first argument itself (nn.init.zeros_(w))"
    COPY_OF_FIRST_ARGUMENT = "a copy of its first argument (copy.deepcopy)"
    PARTIAL = "a callable that calls its first argument (functools.partial)"
    REPEAT = "its first argument, several times: one object, not copies (itertools.repeat(x, n))"
    DISTRIBUTION = "a torch.distributions object, whose samples are tensors"

    @property
    def kind(self) -> Optional[Kind]:
        """The kind of the result, when it does not depend on the arguments."""
        return _CALL_KINDS.get(self)


_CALL_KINDS = {Call.TENSOR: Kind.TENSOR, Call.PARAMETER: Kind.PARAMETER, Call.BUFFER: Kind.BUFFER,
               Call.MODULE: Kind.MODULE, Call.TENSORS: Kind.CONTAINER, Call.PARTIAL: Kind.CALLABLE,
               Call.DISTRIBUTION: Kind.DISTRIBUTION, Call.REPEAT: Kind.CONTAINER}


def call(qualname: str, module_bases: frozenset[str] = frozenset()) -> Optional[Call]:
    """What calling ``qualname`` (``torch.zeros``, ``torch.nn.Linear``) gives; ``None``: nothing
    known.  ``module_bases``: configured Module classes."""
    if qualname in tn.TENSOR_FUNCTIONS or qualname in tn.TENSOR_CLASSES or qualname in tn.VARIABLE_CLASSES:
        return Call.TENSOR
    if qualname in tn.TENSOR_TUPLE_FUNCTIONS:
        return Call.TENSORS
    if qualname in tn.DIM_TUPLE_FUNCTIONS:
        return Call.TENSOR_OR_TENSORS
    if qualname in tn.PARAMETER_CLASSES:
        return Call.PARAMETER
    if qualname in tn.BUFFER_CLASSES:
        return Call.BUFFER
    if qualname.startswith(tn.INIT_PREFIXES):
        return Call.FIRST_ARGUMENT
    if qualname in tn.COPY_FUNCTIONS:
        return Call.COPY_OF_FIRST_ARGUMENT
    if qualname in tn.PARTIAL_FUNCTIONS:
        return Call.PARTIAL
    if qualname in tn.REPEAT_FUNCTIONS:
        return Call.REPEAT
    if qualname in tn.DISTRIBUTION_CLASSES:
        return Call.DISTRIBUTION
    if is_module_class(qualname, module_bases):
        return Call.MODULE
    return None


def is_module_class(qualname: str, module_bases: frozenset[str] = frozenset()) -> bool:
    """Whether ``qualname`` names an ``nn.Module`` class of torch, a known library or the
    configuration."""
    return tn.is_torch_module_class(qualname) or qualname in module_bases


class Holds(enum.Enum):
    """What a Module object holds that sharing it, or building it again, would change."""

    STATE = "Parameters or buffers of its own"
    CONTENTS = "the Modules or Parameters it is given, and nothing of its own (a container)"
    MODE = "no Parameter or buffer, but a train/eval behaviour (dropout)"
    NOTHING = "no Parameter, no buffer, no train/eval behaviour (an activation, a pooling, a loss)"


def module_holds(qualname: str, switches: Optional[dict[str, Optional[bool]]] = None) -> Optional[Holds]:
    """What an instance of the Module class ``qualname`` (of torch or a known library) holds; a
    ``torch.nn`` layer absent from the tables of :mod:`.torch_names` holds state.  ``switches``:
    the keywords a call gives, each ``True``/``False`` or ``None`` when not a literal (and the
    key ``"*"`` when it passes more positional arguments than the layer requires); with them a
    norm layer whose keywords decide its state (:data:`.torch_names.STATE_KEYWORDS`) may hold
    nothing, and ``None`` means it cannot be told."""
    layer = tn.torch_layer_name(qualname)
    if layer is None:
        return Holds.STATE
    keywords = tn.STATE_KEYWORDS.get(layer)
    if keywords is not None and switches is not None:
        if "*" in switches:
            return None
        values = [switches.get(name, default) for name, default in keywords.items()]
        if any(value is None for value in values):
            return None
        return Holds.STATE if any(values) else Holds.NOTHING
    if layer in tn.MODE_DEPENDENT_MODULES:
        return Holds.MODE
    if layer in tn.PARAMETER_FREE_MODULES or layer in tn.LOSS_MODULES or layer in tn.EMPTY_MODULE_BASES:
        return Holds.NOTHING
    if layer in tn.CONTAINER_MODULES:
        return Holds.CONTENTS
    return Holds.STATE


class Method(enum.Enum):
    """What a method gives, for a receiver of a known kind."""

    SELF = "the receiver itself (in-place tensor methods, Module.to())"
    SELF_TRAINABLE = "the receiver, now requiring grad unless given False (requires_grad_())"
    CONVERTED = "a new plain tensor; from a Parameter, a converted one (TPC005)"
    NEW_TENSOR = "a new tensor, trainable when the receiver is a trainable plain tensor"
    DETACHED = "a new tensor that does not require grad"
    TENSORS = "a tuple of tensors (t.chunk(2), t.sort())"
    TENSOR_OR_TENSORS = "a tensor, or with a dim argument a tuple (values, indices) (t.max(1))"
    FILLS = "nothing: it adds its arguments to the container"


#: Methods that add to a plain container, by container.
FILL_METHODS: dict[Container, frozenset[str]] = {
    Container.LIST: frozenset({"append", "extend", "insert"}),
    Container.DICT: frozenset({"update", "setdefault"}),
}
#: Every container method that adds to it (the gate does not know which container it is).
ANY_FILL_METHOD: frozenset[str] = frozenset().union(*FILL_METHODS.values())


def method(receiver: Kind, name: str, has_args: bool = True,
           which: Optional[Container] = None) -> Optional[Method]:
    """What ``<receiver>.<name>(...)`` gives.  ``has_args``: the call passes any argument;
    ``which``: the receiver's container, when it is one."""
    if receiver is Kind.MODULE:
        return Method.SELF if name in tn.MODULE_SELF_METHODS else None
    if receiver is Kind.CONTAINER:
        return Method.FILLS if which is not None and name in FILL_METHODS.get(which, ()) else None
    if receiver is Kind.DISTRIBUTION:
        return Method.NEW_TENSOR if name in tn.DISTRIBUTION_TENSOR_METHODS else None
    if receiver not in TENSOR_LIKE:
        return None
    if name in tn.TENSOR_TUPLE_METHODS:
        return Method.TENSORS
    if name in tn.DIM_TUPLE_METHODS:
        return Method.TENSOR_OR_TENSORS
    if not tn.method_may_give_tensor(name):
        return None
    if name == tn.REQUIRES_GRAD_METHOD:
        return Method.SELF_TRAINABLE
    if tn.is_inplace_method(name):
        return Method.SELF
    if name == "type" and not has_args:
        return None  # ``x.type()`` is the type's name, a str
    if name in tn.CONVERSION_METHODS:
        return Method.CONVERTED
    if name == "detach":
        return Method.DETACHED
    if name in tn.TENSOR_METHODS:
        return Method.NEW_TENSOR
    return None


def discards(receiver: Optional[Kind], name: str, has_args: bool = True) -> bool:
    """Whether the expression statement ``<receiver>.<name>(...)`` does nothing: the method
    returns a new tensor (a conversion, a copy) and leaves the receiver as it was."""
    if receiver not in TENSOR_LIKE or name not in tn.DISCARDABLE_METHODS:
        return False
    return method(receiver, name, has_args) in (Method.CONVERTED, Method.NEW_TENSOR, Method.DETACHED)


def method_kind(receiver: Kind, name: str, has_args: bool = True) -> Optional[Kind]:
    """The kind of what ``<receiver>.<name>(...)`` gives (``None``: nothing known)."""
    effect = method(receiver, name, has_args)
    if effect in (Method.SELF, Method.SELF_TRAINABLE):
        return receiver
    if effect in (Method.CONVERTED, Method.NEW_TENSOR, Method.DETACHED, Method.TENSOR_OR_TENSORS):
        return Kind.TENSOR
    if effect is Method.TENSORS:
        return Kind.CONTAINER
    return None


def attribute(receiver: Kind, name: str) -> Optional[Kind]:
    """The kind of ``<receiver>.<name>``: ``x.T``, ``p.data``, ``normal.mean`` are tensors."""
    if receiver in TENSOR_LIKE and name in tn.TENSOR_PROPERTIES:
        return Kind.TENSOR
    if receiver is Kind.DISTRIBUTION and name in tn.DISTRIBUTION_TENSOR_PROPERTIES:
        return Kind.TENSOR
    return None


#: Builtins that build a new container from what they are given (``tuple(x for x in xs)``).
CONTAINER_BUILTINS: dict[str, Container] = {"list": Container.LIST, "tuple": Container.TUPLE,
                                            "dict": Container.DICT}

#: Operands that make an arithmetic, unary or ordered-comparison operator give a tensor.
OPERANDS: frozenset[Kind] = TENSOR_LIKE


def operator(*operands: Optional[Kind]) -> Optional[Kind]:
    """The kind of ``a + b``, ``-a`` or ``a < b``: a tensor when an operand is one."""
    return Kind.TENSOR if any(kind in OPERANDS for kind in operands) else None


def joins(operand: Optional[Kind]) -> Optional[Kind]:
    """What ``+`` or ``*`` gives when one operand is ``operand``: a tensor for a tensor, a new
    list or tuple for a list or tuple (``xs + ys``, ``[layer] * n``)."""
    if operand in OPERANDS:
        return Kind.TENSOR
    return Kind.CONTAINER if operand is Kind.CONTAINER else None


#: Receivers whose items a subscript gives (``t[0]`` a tensor, ``xs[0]`` an element, ``xs[1:]``
#: a list), and containers that ``+`` and ``*`` join or repeat into a new one.
SUBSCRIPTED: frozenset[Kind] = TENSOR_LIKE | {Kind.CONTAINER}


def annotation(qualname: Optional[str], module_bases: frozenset[str] = frozenset()) -> Optional[Kind]:
    """The kind of an argument or a return value annotated ``qualname``: a tensor, a Parameter,
    or a Module (``nn.Module``, a torch layer, a configured base)."""
    if qualname is None:
        return None
    if qualname in tn.TENSOR_ANNOTATIONS:
        return Kind.TENSOR
    if qualname in tn.PARAMETER_CLASSES:
        return Kind.PARAMETER
    if is_module_class(qualname, module_bases):
        return Kind.MODULE
    return None


def registers(method_name: str) -> Optional[Kind]:
    """What ``self.<method_name>(name, value)`` registers ``name`` as (``None``: not a register
    call).  torchmetrics' ``add_state`` keeps plain tensors: registered, but tensors."""
    if method_name in tn.REGISTER_BUFFER_METHODS:
        return Kind.BUFFER
    if method_name in tn.REGISTER_PARAMETER_METHODS:
        return Kind.PARAMETER
    if method_name in tn.REGISTER_MODULE_METHODS:
        return Kind.MODULE
    if method_name in tn.REGISTER_STATE_METHODS:
        return Kind.TENSOR
    return None
