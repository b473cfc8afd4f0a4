"""Walk one nn.Module class and record every assignment to ``self.<attr>``, and the other facts
the rules judge.

``__init__`` runs first, in order, following the methods it calls on ``self`` (each once); that is
the *init scope*, where a value must be registered to be tracked.  Every other method runs after,
from what ``__init__`` left; ``forward`` also follows the methods it calls (the *forward scope*).
The result, a :class:`ClassSummary`, lists the facts that the rules in :mod:`.rules` judge (the
:class:`Binding` s, the :class:`Construction` s of the forward scope, the :class:`Discarded`
conversions), and what the class registers (for its subclasses).  The walk records facts; it knows
no rule.  What it needs from the layer above (the summaries of base classes, parsed methods) it
asks through :class:`Classes`.  :class:`FunctionWalk` records the discarded conversions of a
function outside a Module class.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import ClassVar, Optional, Protocol, Sequence, Union

import libcst as cst

from . import effects
from . import torch_names as tn
from .effects import Holds
from .gate import builds_in_forward, forward_scope, init_scope
from .imports import dotted_name
from .index import ClassInfo, FunctionInfo, Span
from .memo import Memo
from .inference import Frame, Resolver, Walker, dotted, frame_for, is_false, string_value, walk
from .symbols import ClassRef, FileSymbols, FunctionRef, Qualified
from .values import REGISTERS, Kind, Val


@dataclass
class Binding:
    """One ``self.<attr> = <value>`` statement, as the rules see it."""

    JUDGED_AS: ClassVar[str] = "bindings"

    attr: str
    target: cst.Attribute
    statement: cst.CSTNode  #: the line holding the assignment
    value: Val | None
    method: str
    in_init: bool  #: in ``__init__`` or a method it calls
    single: bool  #: a plain ``self.x = value`` with one target (the fixer can rewrite it)
    registered_before: bool  #: ``attr`` was already a buffer/parameter/submodule
    blocks: tuple[int, ...]
    span: Span  #: the method whose parsed segment holds ``target`` (for its position)
    own: bool  #: in a method of the class itself (an inherited one is reported with its class)
    superseded: bool = False  #: a later statement of ``__init__`` registers, rebinds or deletes it
    rebound: bool = False  #: ``attr`` is assigned more than once in the init scope
    #: ``self.xs = self.xs + [...]``: the list bound earlier grows (its binding holds the items)
    growth: bool = False
    made_trainable: bool = False  #: another statement makes ``attr`` trainable (TPC002)
    #: The conversion a method outside the init scope applies to ``self.<attr>`` itself
    #: (``self.pe.to(x.device)``: ``"to"``), and that method
    moved_by_hand: str | None = None
    moved_in: str | None = None
    #: The class's ``_apply`` override applies ``fn`` to ``self.<attr>``: it follows ``.to()``
    applied: bool = False
    #: The first binding of ``attr`` in the init scope, when this one comes later
    first: "Binding | None" = None
    #: The value holds one Module object several times (``[block] * n``, ``nn.ModuleList`` of
    #: such a list) and that object holds state: what it is, as a message names it (``nn.Linear``)
    shared: "str | None" = None
    #: The statement, or an ``if`` test it runs under, names sharing (``shared_head``,
    #: ``if config.share_heads:``): the repetition is asked for.
    sharing_asked: bool = False


@dataclass
class Construction:
    """A Module or a Parameter built in the forward scope (``forward`` and the methods it calls,
    outside the init scope): built again on every call."""

    JUDGED_AS: ClassVar[str] = "constructions"

    attr: str  #: what is built, as a message names it (``nn.Linear``, ``Block``, ``nn.Parameter``)
    target: cst.Call  #: the call that builds it (where a finding points)
    statement: cst.CSTNode  #: the line holding the call
    span: Span  #: the method whose parsed segment holds ``target``
    method: str
    own: bool
    kind: Kind  #: Kind.MODULE or Kind.PARAMETER
    holds: Holds | None  #: what the Module holds (None for a Parameter)
    #: Under a test that holds only until the object exists (``if self.proj is None:``), or in a
    #: method called under one: built once
    lazy: bool
    in_init: bool = False
    #: The forward scope builds an optimizer (``torch.optim.Adam(...)``): ``forward`` is a
    #: training routine that trains what it builds.
    trained: bool = False


@dataclass
class Discarded:
    """An expression statement ``<receiver>.<method>(...)`` whose method returns a new tensor
    and changes nothing in place, on a receiver known to be a tensor: the result is lost."""

    JUDGED_AS: ClassVar[str] = "statements"

    attr: str  #: the receiver as written (``x``, ``self.mask``), as a message names it
    target: cst.Call  #: the call (where a finding points)
    statement: cst.CSTNode
    span: Span
    method: str  #: the function or method holding the statement
    own: bool
    receiver: Val  #: what the receiver holds there
    conversion: str  #: the method called (``to``, ``cuda``, ``detach``)
    in_init: bool = False
    #: The receiver is ``self.<self_attr>`` (else ``None``)
    self_attr: "str | None" = None


#: Everything a rule may judge.
Fact = Union[Binding, Construction, Discarded]


@dataclass(frozen=True)
class MethodRef:
    """A method of the class or of a base class, parsed when first walked."""

    symbols: FileSymbols
    info: FunctionInfo


@dataclass
class ClassSummary:
    info: ClassInfo
    symbols: FileSymbols
    bindings: list[Binding] = field(default_factory=list)
    registered: set[str] = field(default_factory=set)  #: names registered by the end of __init__
    attrs: dict[str, Val] = field(default_factory=dict)  #: what self.<attr> holds after __init__
    methods: dict[str, MethodRef] = field(default_factory=dict)  #: own and inherited
    #: What the init scope registered, by the method whose body registered it (a subclass that
    #: overrides the method does not inherit those).
    registered_in: dict[str, set[str]] = field(default_factory=dict)
    inherited: set[str] = field(default_factory=set)  #: registered by the bases' init scopes
    #: Attributes some method makes trainable (``self.x.requires_grad_()``): TPC002 at the store.
    made_trainable: frozenset[str] = frozenset()
    constructions: list[Construction] = field(default_factory=list)
    discarded: list[Discarded] = field(default_factory=list)
    #: The kinds each name is registered as anywhere in the class (a buffer, a Parameter, ...).
    registered_as: dict[str, set[Kind]] = field(default_factory=dict)
    #: What an instance holds (see :meth:`_Facts.project_holds`; ``None``: unknown), once asked.
    holds: Holds | None = None
    holds_known: bool = False


class Classes(Resolver, Protocol):
    """What the class walk asks of the layer above, besides names (:class:`.inference.Resolver`)."""

    def summary(self, ref: ClassRef) -> Optional[ClassSummary]:
        """What the project class ``ref`` registers and holds after ``__init__``."""

    def method(self, ref: MethodRef) -> Optional[cst.FunctionDef]:
        """The parsed definition of a method (``None``: it cannot be parsed)."""


def walk_class(classes: Classes, symbols: FileSymbols, info: ClassInfo, init_only: bool = False,
               complete: bool = False, words: Sequence[str] = tn.TRAINABLE_WORDS) -> ClassSummary:
    """Walk ``info``; with ``init_only`` only its init scope (enough to know what it registers).
    Outside the init scope a method is walked only when it holds one of ``words`` (what the rules
    that look there need), unless ``complete`` (the fixer wants every assignment of an
    attribute)."""
    summary = ClassSummary(info, symbols, made_trainable=frozenset(
        attr for function in info.methods.values() for attr in function.made_trainable
    ))
    for base in symbols.base_refs(info):
        if not base.is_module():
            continue
        inherited = classes.summary(base)
        if inherited is None:
            continue
        # What the base registers in a method this class overrides is not inherited: the
        # override runs instead (the walk follows ``super().__init__()`` into the base).
        kept = set(inherited.inherited)
        for method_name, names in inherited.registered_in.items():
            if method_name == "__init__" or method_name not in info.methods:
                kept |= names
        summary.inherited |= kept
        summary.attrs.update({k: v for k, v in inherited.attrs.items() if v.registered and k in kept})
        for name, method in inherited.methods.items():
            summary.methods.setdefault(name, method)
    summary.registered |= summary.inherited
    own = {name: MethodRef(symbols, function) for name, function in info.methods.items()}
    summary.methods.update(own)
    if init_only:
        own = {}
    elif not complete:
        forward = builds_in_forward(info, symbols)
        own = {
            name: ref
            for name, ref in own.items()
            if any(word in symbols.span_text(ref.info.span) for word in words)
            or any(target.attr in summary.made_trainable for target, _ in ref.info.self_assigns)
            or ref.info.discards
            or (forward and name == tn.FORWARD_METHOD)
        }
    walk = ClassWalk(classes, summary, symbols.inherits_torch_layer(info))
    walk.run(own)
    if summary.constructions and _trains_in_forward(info, symbols):
        for construction in summary.constructions:
            construction.trained = True
    if summary.bindings:
        _note_moves(summary, walk.inlined)
        for binding in summary.bindings:
            if binding.value is not None and binding.value.repeated:
                binding.shared = walk.shared(binding.value)
    return summary


def _trains_in_forward(info: ClassInfo, symbols: FileSymbols) -> bool:
    """Whether a method of the forward scope builds an optimizer (:data:`.torch_names.OPTIMIZER_PREFIXES`)."""
    for name in forward_scope(info, symbols):
        function = info.methods[name]
        for node in ast.walk(function.node):
            if isinstance(node, ast.Call):
                called = dotted_name(node.func)
                meaning = symbols.lookup(called, info.scope) if called is not None else None
                if isinstance(meaning, Qualified) and meaning.name.startswith(tn.OPTIMIZER_PREFIXES):
                    return True
    return False


def _note_moves(summary: ClassSummary, init_scope: set[str]) -> None:
    """Mark the bindings whose attribute a method moves itself: converted outside the init scope
    (``self.pe = self.pe.to(x.device)``, ``mask = self.mask.to(x)``), or applied ``fn`` to in an
    ``_apply`` override (which ``.to()``/``.cuda()`` call)."""
    moved: dict[str, tuple[str, str]] = {}  # attr -> (conversion, method)
    applied: set[str] = set()
    for name, ref in summary.methods.items():
        if name in init_scope:
            continue
        node = ref.info.node
        self_name = ref.info.self_name
        if self_name is None:
            continue
        if name == tn.APPLY_METHOD:
            params = [*node.args.posonlyargs, *node.args.args]
            if len(params) > 1:
                applied |= _applied(node, self_name, params[1].arg)
            continue
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr in tn.CONVERSION_METHODS
                and isinstance(sub.func.value, ast.Attribute)
                and isinstance(sub.func.value.value, ast.Name)
                and sub.func.value.value.id == self_name
            ):
                moved.setdefault(sub.func.value.attr, (sub.func.attr, name))
    for binding in summary.bindings:
        binding.moved_by_hand, binding.moved_in = moved.get(binding.attr, (None, None))
        binding.applied = binding.attr in applied


def _applied(node: ast.AST, self_name: str, fn: str) -> set[str]:
    """``self.<x> = fn(self.<x>)`` statements of an ``_apply(self, fn)`` override: their ``x``."""
    found = set()
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Assign)
            and isinstance(sub.value, ast.Call)
            and isinstance(sub.value.func, ast.Name)
            and sub.value.func.id == fn
        ):
            for target in sub.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == self_name:
                    found.add(target.attr)
    return found


#: In the init scope, ``frame.env["@" + attr]`` holds this when ``attr`` is registered on every
#: path that reaches the statement: the environment's joins keep it only where all paths agree.
_SURE = Val(Kind.BUFFER)
_MARK = "@"


class _SelfState(Walker):
    """What ``self`` holds and registers as the walk goes: reads, assignments, deletions and
    register calls (the attributes are set by :class:`ClassWalk`)."""

    classes: Classes
    summary: ClassSummary
    torch_layer: bool  #: subclass of a concrete layer (nn.Linear, nn.BatchNorm2d)
    inherited: frozenset[str]  #: registered by a base class's __init__
    firsts: dict[str, Binding]  #: each attribute's first own binding in __init__
    recording: bool
    method: MethodRef | None  #: the method being walked

    # --- reading self ----------------------------------------------------------------------

    def read_self(self, frame: Frame, attr: str) -> Val | None:
        value = self.summary.attrs.get(attr)
        if value is not None:
            return value
        if self.torch_layer and tn.is_torch_layer_state(attr):
            value = Val(Kind.TENSOR if attr.startswith(("running_", "num_batches")) else Kind.PARAMETER)
            value.registered = True
            return value
        if attr in self.summary.registered:
            value = Val(Kind.TENSOR)
            value.registered = True
            return value
        return None

    def is_registered(self, attr: str, frame: Frame | None = None) -> bool:
        """Whether ``attr`` is a Parameter, buffer or submodule here: inherited, a torch layer's
        own state, or (in the init scope) registered on every path that reaches ``frame``'s
        statement; elsewhere, registered by the end of ``__init__``."""
        if attr in self.inherited or (self.torch_layer and tn.is_torch_layer_state(attr)):
            return True
        if frame is not None and frame.in_init:
            return frame.env.get(_MARK + attr) is _SURE
        if attr in self.summary.registered:
            return True
        current = self.summary.attrs.get(attr)
        return current is not None and current.kind in REGISTERS

    def registered(self, frame: Frame, attr: str, kind: Kind) -> None:
        """``attr`` is registered (as ``kind``) by the statement being walked."""
        self.summary.registered.add(attr)
        self.summary.registered_as.setdefault(attr, set()).add(kind)
        if frame.in_init and self.method is not None:
            self.summary.registered_in.setdefault(self.method.info.name, set()).add(attr)
        self.mark(frame, attr, True)

    def grows(self, frame: Frame, attr: str, value: Val | None, value_node: cst.BaseExpression) -> Val | None:
        """``self.xs = self.xs + [...]``: the list ``self.xs`` held, grown by the new items (the
        same list for the rules, so that its first binding holds them all)."""
        current = self.summary.attrs.get(attr)
        if (
            value is None
            or value.kind is not Kind.CONTAINER
            or current is None
            or current.kind is not Kind.CONTAINER
            or current.container is not value.container
            or not isinstance(value_node, cst.BinaryOperation)
            or not isinstance(value_node.operator, cst.Add)
            or self.self_attr(value_node.left, frame) != attr
        ):
            return None
        current.elements.extend(value.elements[len(current.elements):])
        current.exact = False
        return current

    def mark(self, frame: Frame, attr: str, registered: bool) -> None:
        if registered:
            frame.env[_MARK + attr] = _SURE
        else:
            frame.env.pop(_MARK + attr, None)

    # --- assignments -----------------------------------------------------------------------

    def on_self_assign(self, frame: Frame, attr: str, target: cst.Attribute, value: Val | None,
                       statement: cst.CSTNode, single: bool, value_node: cst.BaseExpression) -> None:
        registered_before = self.is_registered(attr, frame) or (
            # ``self.x = self.x * 2`` can only run where ``self.x`` exists: on a path where
            # it was registered (a finding only when every path to here leaves it plain).
            attr in self.summary.registered and self.reads_self(value_node, attr, frame)
        )
        growth = self.grows(frame, attr, value, value_node)
        if growth is not None:
            value = growth
        elif frame.in_init and self.recording:
            self.supersede(attr)
        if value is not None and value.kind in REGISTERS:
            self.registered(frame, attr, value.kind)
            value.registered = True
        if value is None:
            self.summary.attrs.pop(attr, None)
        else:
            self.summary.attrs[attr] = value
        if self.recording and self.method is not None:
            own = self.summary.info.methods.get(self.method.info.name) is self.method.info
            asked = value is not None and value.repeated is not None and self.asks_for_sharing(statement)
            binding = Binding(attr, target, statement, value, frame.method, frame.in_init, single,
                              registered_before, tuple(self.block_path), self.method.info.span, own,
                              growth=growth is not None, made_trainable=attr in self.summary.made_trainable,
                              sharing_asked=asked)
            if frame.in_init and own:
                first = self.firsts.setdefault(attr, binding)
                binding.first = first if first is not binding else None
            self.summary.bindings.append(binding)

    def asks_for_sharing(self, statement: cst.CSTNode) -> bool:
        """Whether ``statement``, or the test of an ``if`` it runs under, names sharing."""
        nodes = [statement, *(test for test, holds, _ in self.conditions if holds)]
        return any(_SHARING.search(_EMPTY_MODULE.code_for_node(node)) for node in nodes)

    def reads_self(self, node: cst.BaseExpression, attr: str, frame: Frame) -> bool:
        """Whether ``node`` reads ``self.<attr>``."""
        return ("self." + attr) in self.referenced_names(node, frame)

    def supersede(self, attr: str) -> None:
        """A new binding of ``attr`` in the init scope: the earlier ones it follows on every path
        (in its block or nested in it) are not final."""
        path = tuple(self.block_path)
        for binding in self.summary.bindings:
            if binding.attr != attr or not binding.in_init:
                continue
            binding.rebound = True
            if binding.blocks[: len(path)] == path:
                binding.superseded = True

    def on_self_delete(self, frame: Frame, attr: str) -> None:
        if frame.in_init and self.recording:
            self.supersede(attr)
        self.summary.registered.discard(attr)
        self.summary.attrs.pop(attr, None)
        self.mark(frame, attr, False)
        self.firsts.pop(attr, None)  # bound again after ``del``: a new first binding

    def register(self, frame: Frame, args: Sequence[cst.Arg], kind: Kind | None) -> None:
        """``self.register_buffer(name, value)`` and friends, and ``setattr(self, name, value)``."""
        name_node = args[0].value if args else None
        value_node = args[1].value if len(args) > 1 else None
        for arg in args:
            if arg.keyword is not None and arg.keyword.value in tn.REGISTER_VALUE_KEYWORDS:
                value_node = arg.value
            if arg.keyword is not None and arg.keyword.value == tn.REGISTER_NAME_KEYWORD:
                name_node = arg.value
        value = self.eval(value_node, frame) if value_node is not None else None
        for arg in args:
            if arg.value is not value_node:
                self.eval(arg.value, frame)
        name = string_value(name_node) if name_node is not None else None
        if name is not None:
            if kind is None:  # setattr: what Module.__setattr__ does with the value
                if value is None or value.kind not in REGISTERS:
                    self.summary.attrs.pop(name, None)
                    return
                kind = value.kind
            if frame.in_init and self.recording:
                self.supersede(name)
            self.registered(frame, name, kind)
            registered = value if value is not None and value.kind is not Kind.CONTAINER else Val(kind)
            registered.registered = True
            self.summary.attrs[name] = registered
            return
        # A computed name: whatever the call and the loops around it mention is registered.
        mentioned: set[str] = set()
        for arg in args:
            mentioned.update(self.referenced_names(arg.value, frame))
        for refs in frame.loop_refs:
            mentioned.update(refs)
        for ref in mentioned:
            held = self.read_self(frame, ref[5:]) if ref.startswith("self.") else frame.env.get(ref)
            if held is None:
                continue
            if held.kind is Kind.CONTAINER:
                held.consumed = True
            held.registered = True
        if value is not None:
            value.registered = True


class _Facts(_SelfState):
    """The facts beside the bindings: Modules and Parameters built in the forward scope, the
    conversions whose result is dropped, and what a Module object holds."""

    #: While ``forward`` is walked: the methods of its scope already walked, and how many of the
    #: calls being followed run under a lazy guard (see :func:`_lazy_test`).
    forward_seen: set[str] | None
    lazy_calls: int

    def on_call(self, frame: Frame, call: cst.Call, value: Val | None) -> None:
        if self.forward_seen is None or value is None or self.method is None or frame.in_init:
            return
        if value.kind is Kind.PARAMETER:
            if any(arg.keyword is not None and arg.keyword.value == tn.REQUIRES_GRAD_KEYWORD
                   and is_false(arg.value) for arg in call.args):
                return  # a frozen Parameter (requires_grad=False) is no optimizer's business
            holds, name = None, _display(value.made_by, "nn.Parameter")
        elif value.kind is Kind.MODULE:
            holds = self.value_holds(value)
            if holds is None:
                return
            name = _display(value.made_by, "Module")
        else:
            return
        lazy = self.lazy_calls > 0 or self.lazy(frame)
        own = self.summary.info.methods.get(self.method.info.name) is self.method.info
        self.summary.constructions.append(Construction(
            name, call, self.statement, self.method.info.span, frame.method, own, value.kind, holds, lazy))

    def on_discarded(self, frame: Frame, call: cst.Call, receiver: Val, statement: cst.CSTNode) -> None:
        if not self.recording or self.method is None:
            return
        own = self.summary.info.methods.get(self.method.info.name) is self.method.info
        assert isinstance(call.func, cst.Attribute)
        self_attr = self.self_attr(call.func.value, frame)
        self.summary.discarded.append(
            _discarded(call, receiver, statement, self.method.info.span, frame, own, self_attr))

    def lazy(self, frame: Frame) -> bool:
        """Whether an ``if`` around the statement runs its branch only until an attribute of
        ``self`` is set: a test that it is missing (``if self.proj is None:``, see
        :func:`_lazy_test`), or a test reading an attribute that the branch itself assigns, or a
        method of the class it calls (``if self.expand: ...; self.expand = False``, ``if n >
        self.size: self._grow(n)``)."""
        self_name = frame.self_name
        if self_name is None:
            return False
        for test, holds, branch in self.conditions:
            if _lazy_test(test, holds, self_name):
                return True
            if holds and _self_reads(test, self_name) & self.assigned_in(branch, self_name):
                return True
        return False

    def assigned_in(self, branch: cst.CSTNode, self_name: str) -> set[str]:
        """The attributes of ``self`` that ``branch`` assigns, or a method of the class it calls."""
        assigned: set[str] = set()
        for node in walk(branch):
            if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
                target = node.target
                if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                        and target.value.value == self_name:
                    assigned.add(target.attr.value)
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and isinstance(node.func.value, cst.Name) and node.func.value.value == self_name:
                method = self.summary.info.methods.get(node.func.attr.value)
                if method is not None:
                    assigned.update(target.attr for target, _ in method.self_assigns)
        return assigned

    def value_holds(self, value: Val) -> Holds | None:
        """What the Module ``value`` holds: what its arguments made it hold, else its class."""
        if value.holds is not None:
            return value.holds if isinstance(value.holds, Holds) else None
        return self.module_holds(value.made_by)

    def module_holds(self, made_by: object) -> Holds | None:
        """What a Module built by ``made_by`` holds: a ``torch.nn`` layer by the tables, a class of
        the project by what it registers; ``None`` for anything else (unknown)."""
        if isinstance(made_by, str):
            return effects.module_holds(made_by) if tn.torch_layer_name(made_by) is not None else None
        if isinstance(made_by, ClassRef):
            return self.project_holds(made_by)
        return None

    def project_holds(self, ref: ClassRef, depth: int = 0) -> Holds | None:
        """What an instance of a class of the project holds: state when it (or a base) registers
        a Parameter, a buffer or a Module that holds state, or derives from a ``torch.nn`` layer
        that holds state; else the strongest of what its parts hold.  ``None`` (unknown) when no
        known part holds state and one part is not known: a Module it is given (a wrapper builds
        no weights of its own), what a call gives that the analysis cannot follow, a base of
        another library."""
        summary = self.classes.summary(ref) if depth < 8 else None
        if summary is None:
            return None
        if summary.holds_known:
            return summary.holds
        holds, unknown = Holds.NOTHING, False

        def add(part: Holds | None) -> None:
            nonlocal holds, unknown
            if part is None:
                unknown = True
            else:
                holds = max_holds(holds, part)

        for name in summary.registered:
            held = summary.attrs.get(name)
            if held is not None and held.kind in (Kind.PARAMETER, Kind.BUFFER, Kind.TENSOR):
                add(Holds.STATE)
            elif held is not None and isinstance(held.made_by, ClassRef):
                add(self.project_holds(held.made_by, depth + 1))
            elif held is not None and held.made_by is not None:
                add(self.value_holds(held))
            else:
                add(None)  # given to the class, or from a call not followed
        symbols, info = ref.symbols, ref.info
        for base in info.bases:
            meaning = symbols.lookup(base, info.scope)
            if isinstance(meaning, Qualified) and tn.torch_layer_name(meaning.name) is not None:
                layer = effects.module_holds(meaning.name)
                add(Holds.STATE if layer in (Holds.STATE, Holds.CONTENTS) else layer)
            elif isinstance(meaning, Qualified):
                if effects.call(meaning.name, symbols.settings.module_bases) is effects.Call.MODULE:
                    add(None)  # a Module base of another library
            elif isinstance(meaning, ClassRef) and meaning.is_module():
                add(self.project_holds(meaning, depth + 1))
        for name in init_scope(info, symbols):
            for target, value in info.methods[name].self_assigns:
                if target.attr not in summary.attrs and not _known_plain(value):
                    add(None)  # what an unknown call gives may be a Module
        result = holds if holds is Holds.STATE or not unknown else None
        summary.holds, summary.holds_known = result, True
        return result

    def shared(self, value: Val) -> str | None:
        """The Module object that ``value`` (a list or a Module container) holds several times,
        as a message names it, when that object holds state."""
        leaves = value.elements if value.kind is Kind.MODULE else list(value.leaves())
        for leaf in leaves:
            if leaf is not None and leaf.kind is Kind.MODULE and \
                    self.value_holds(leaf) in (Holds.STATE, Holds.CONTENTS):
                return _display(leaf.made_by, "Module")
        return None


class ClassWalk(_Facts):
    def __init__(self, classes: Classes, summary: ClassSummary, torch_layer: bool) -> None:
        super().__init__(classes)
        self.classes = classes
        self.summary = summary
        self.inherited = frozenset(summary.inherited)  #: registered by a base class's __init__
        self.inits: set[int] = set()  #: the ``__init__`` methods already inlined
        self.firsts: dict[str, Binding] = {}  #: each attribute's first own binding in __init__
        self.torch_layer = torch_layer  #: subclass of a concrete layer (nn.Linear, nn.BatchNorm2d)
        self.inlined: set[str] = set()
        self.recording = True
        self.method_returns: Memo[Optional[Val]] = Memo()
        self.method: MethodRef | None = None  #: the method being walked
        self.forward_seen: set[str] | None = None
        self.lazy_calls = 0

    def run(self, own: dict[str, MethodRef]) -> None:
        summary = self.summary
        init = summary.methods.get("__init__")
        if init is not None:
            self.inlined.add("__init__")
            self.inits.add(id(init.info))
            self.run_method(init, in_init=True)
        after_init = summary.attrs
        for name, method in own.items():
            if name in self.inlined:
                continue
            summary.attrs = {k: v.copy() for k, v in after_init.items()}
            if name == tn.FORWARD_METHOD:
                self.forward_seen = {name}
            try:
                self.run_method(method, in_init=False)
            finally:
                self.forward_seen = None
        summary.attrs = after_init

    def call_values(self, call: cst.Call, frame: Frame) -> tuple[list[Val | None], dict[str, Val | None]]:
        """The call's arguments, evaluated once: positional values (``None`` from the first
        ``*args`` on) and keyword values."""
        positional: list[Val | None] = []
        keywords: dict[str, Val | None] = {}
        starred = False
        for arg in call.args:
            value = self.eval(arg.value, frame)
            if arg.keyword is not None:
                keywords[arg.keyword.value] = value
            elif arg.star:
                starred = True
            elif not starred:
                positional.append(value)
        return positional, keywords

    def run_method(self, ref: MethodRef, in_init: bool, caller: Frame | None = None,
                   arguments: tuple[list[Val | None], dict[str, Val | None]] | None = None) -> Val | None:
        """Walk a method of the class.  Called from ``caller`` in the init scope, it runs as part
        of the caller: on the caller's paths, with the call's ``arguments`` bound to its
        parameters, and what it registers is registered there after."""
        method = self.classes.method(ref)
        if method is None:
            return None
        frame = frame_for(method, None, in_init, ref.symbols)
        params = [*method.params.posonly_params, *method.params.params]
        if not params or _is_static(method):
            return None
        frame.self_name = params[0].name.value
        frame.env.pop(frame.self_name, None)
        if arguments is not None:
            positional, keywords = arguments
            names = [p.name.value for p in params[1:]]
            given = {**dict(zip(names, positional)), **keywords}
            for name, value in given.items():
                if value is not None and name in frame.env and frame.env[name] is None:
                    frame.env[name] = value
        if caller is not None:
            frame.env.update(_marks(caller.env))
        outer, self.method = self.method, ref
        try:
            result = self.run_function(method, frame, own_block=caller is None)
        finally:
            self.method = outer
        if caller is not None:
            for key in _marks(caller.env):
                caller.env.pop(key)
            caller.env.update(_marks(frame.env))
        return result

    # --- calls on self ---------------------------------------------------------------------

    def on_self_method(self, frame: Frame, call: cst.Call, method: str) -> Val | None:
        kind = effects.registers(method)
        if kind is not None:
            self.register(frame, call.args, kind)
            return None
        function = self.summary.methods.get(method)
        if function is None:
            held = self.read_self(frame, method)  # ``self.f = partial(helper, ...)``, then ``self.f(x)``
            if held is not None and held.kind is Kind.CALLABLE:
                args = self.eval_args(call, frame)
                return self.call_known(held.target, call, args)  # type: ignore[arg-type]
            self.eval_args(call, frame)
            return None
        arguments = self.call_values(call, frame)
        decorators = function.info.decorators
        if "staticmethod" in decorators or "classmethod" in decorators:
            result = self.classes.returns(FunctionRef(function.symbols, function.info))
        elif frame.in_init and self.recording and method not in self.inlined:
            self.inlined.add(method)
            result = self.run_method(function, in_init=True, caller=frame, arguments=arguments)
            self.method_returns.get(method, lambda: result, None)
        elif (
            self.forward_seen is not None
            and method not in self.forward_seen
            and method not in self.inlined
            and self.summary.info.methods.get(method) is function.info
        ):
            # A method of the forward scope: walked for what it builds, under the call's guards.
            self.forward_seen.add(method)
            lazy = self.lazy(frame)
            self.lazy_calls += lazy
            try:
                walked = self.returns_of(function)
            finally:
                self.lazy_calls -= lazy
            result = self.method_returns.get(method, lambda: walked, None)
        else:
            # A recursive call gives nothing known.
            result = self.method_returns.get(method, lambda: self.returns_of(function), None)
        if result is None:
            result = function.symbols.annotated(function.info.node.returns)  # ``-> Tensor``
            if result is not None and result.kind is Kind.NONE:
                result = None
        return result.copy() if result is not None else None

    def returns_of(self, function: MethodRef) -> Val | None:
        """What a method gives when called from outside the init scope: walked once, on a copy
        of the state, recording nothing."""
        recording, self.recording = self.recording, False
        saved = self.summary.attrs
        self.summary.attrs = dict(saved)
        try:
            return self.run_method(function, in_init=False)
        finally:
            self.recording = recording
            self.summary.attrs = saved

    def expr_Call(self, call: cst.Call, frame: Frame) -> Val | None:
        func = call.func
        base_init = self.base_init(call, frame) if frame.in_init and self.recording else None
        if base_init is not None:
            self.eval_args(call, frame)
            self.inits.add(id(base_init.info))
            self.run_method(base_init, in_init=True, caller=frame)
            return None
        if (
            isinstance(func, cst.Name)
            and func.value == tn.SETATTR
            and tn.SETATTR not in frame.env
            and len(call.args) >= 3
            and isinstance(call.args[0].value, cst.Name)
            and call.args[0].value.value == frame.self_name
        ):
            self.register(frame, call.args[1:], None)
            return None
        return super().expr_Call(call, frame)

    def base_init(self, call: cst.Call, frame: Frame) -> MethodRef | None:
        """The base class ``__init__`` that ``super().__init__(...)`` or ``Base.__init__(self, ...)``
        runs, when it is a project class's and has not run yet: it runs with this class's methods
        (an override it calls is the one that runs)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "__init__" or self.method is None:
            return None
        owner, symbols = self.method.info.owner, self.method.symbols
        if owner is None:
            return None
        via_super = isinstance(func.value, cst.Call) and dotted(func.value.func) == "super"
        if via_super and "super" not in frame.env:
            bases = [ref for ref in symbols.base_refs(owner) if ref.is_module()]
        else:
            name = dotted(func.value)
            first = call.args[0].value if call.args else None
            meaning = symbols.lookup(name, owner.scope) if name is not None else None
            is_self = isinstance(first, cst.Name) and first.value == frame.self_name
            if not (isinstance(meaning, ClassRef) and is_self):
                return None
            bases = [meaning]
        for ref in bases:
            summary = self.classes.summary(ref)
            init = summary.methods.get("__init__") if summary is not None else None
            if init is not None:
                return init if id(init.info) not in self.inits else None
        return None


def _marks(env: dict[str, Val | None]) -> dict[str, Val | None]:
    """The registration marks of an environment (see :data:`_SURE`)."""
    return {key: value for key, value in env.items() if key.startswith(_MARK)}


def _is_static(method: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in method.decorators
    )


# --- facts beside the bindings -------------------------------------------------------------------

_STRENGTH = {Holds.NOTHING: 0, Holds.MODE: 1, Holds.CONTENTS: 2, Holds.STATE: 3}


def max_holds(a: Holds, b: Holds | None) -> Holds:
    """The stronger of two answers: a class holds what any of its parts holds."""
    return a if b is None or _STRENGTH[a] >= _STRENGTH[b] else b


#: Builtins whose result is plain data, never a Module.
_PLAIN_BUILTINS = frozenset(
    "int float str bool len abs round min max sum tuple list dict set range sorted".split()
)


def _known_plain(value: ast.expr) -> bool:
    """Every call in ``value`` is a builtin that gives plain data (``int(dim)``)."""
    return all(
        isinstance(node.func, ast.Name) and node.func.id in _PLAIN_BUILTINS
        for node in ast.walk(value)
        if isinstance(node, ast.Call)
    )


def _display(made_by: object, default: str) -> str:
    """How a message names the class that built an object: ``nn.Linear``, ``Block``."""
    if isinstance(made_by, ClassRef):
        return made_by.info.name
    if isinstance(made_by, str):
        last = made_by.rpartition(".")[2]
        return f"nn.{last}" if made_by.startswith("torch.nn.") else last
    return default


def _lazy_test(test: cst.BaseExpression, holds: bool, self_name: str) -> bool:
    """Whether ``test`` (holding or not, as ``holds`` says) holds only while an attribute of
    ``self`` is missing: ``if self.proj is None:``, ``if not hasattr(self, "proj"):``,
    ``if "proj" not in self._modules:``, ``if not self.built:`` (and an ``else`` of the opposite
    test)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _lazy_test(test.expression, not holds, self_name)
    if isinstance(test, cst.BooleanOperation):
        return _lazy_test(test.left, holds, self_name) or _lazy_test(test.right, holds, self_name)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(right, cst.Name) and right.value == "None" and _reads_self(test.left, self_name):
            if isinstance(operator, (cst.Is, cst.Equal)):
                return holds
            if isinstance(operator, (cst.IsNot, cst.NotEqual)):
                return not holds
        if string_value(test.left) is not None and _reads_self(right, self_name):
            if isinstance(operator, cst.NotIn):
                return holds
            if isinstance(operator, cst.In):
                return not holds
        return False
    if isinstance(test, cst.Call) and dotted(test.func) == "hasattr" and test.args:
        return not holds and _reads_self(test.args[0].value, self_name)
    if (
        isinstance(test, cst.Attribute)
        and isinstance(test.value, cst.Name)
        and test.value.value == self_name
        and test.attr.value != "training"
    ):
        return not holds  # ``if not self.built:``
    return False


def _self_reads(test: cst.BaseExpression, self_name: str) -> set[str]:
    """The attributes of ``self`` that ``test`` reads (``self.training`` aside)."""
    return {
        node.attr.value
        for node in walk(test)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
        and node.value.value == self_name and node.attr.value != "training"
    }


def _reads_self(node: cst.BaseExpression, self_name: str) -> bool:
    """``self``, ``self.<attr>`` (or deeper), ``getattr(self, ...)``."""
    if isinstance(node, cst.Call) and dotted(node.func) == "getattr" and node.args:
        node = node.args[0].value
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name) and node.value == self_name


_EMPTY_MODULE = cst.Module([])
#: Words that ask for one object in several places (``shared_head``, ``share_bbox``, ``tie_weights``).
_SHARING = re.compile(r"(?<![A-Za-z])(?:share[ds]?|sharing|tie[ds]?|tying)(?![a-z])", re.IGNORECASE)


def _discarded(call: cst.Call, receiver: Val, statement: cst.CSTNode, span: Span, frame: Frame, own: bool,
               self_attr: str | None) -> Discarded:
    assert isinstance(call.func, cst.Attribute)
    text = _EMPTY_MODULE.code_for_node(call.func.value)
    if "\n" in text or len(text) > 40:
        text = "the tensor"
    return Discarded(text, call, statement, span, frame.method, own, receiver, call.func.attr.value,
                     frame.in_init, self_attr)


class FunctionWalk(Walker):
    """Walks one function outside a Module class (a module-level function, a method of another
    class) and records its :class:`Discarded` conversions.  What its arguments hold comes from
    their annotations (:func:`.inference.frame_for`); ``self`` is unknown."""

    def __init__(self, resolver: Resolver, info: FunctionInfo) -> None:
        super().__init__(resolver)
        self.info = info
        self.discarded: list[Discarded] = []

    def run(self, function: cst.FunctionDef) -> list[Discarded]:
        self.run_function(function, frame_for(function, self.info, False, self.resolver))
        return self.discarded

    def on_discarded(self, frame: Frame, call: cst.Call, receiver: Val, statement: cst.CSTNode) -> None:
        self.discarded.append(_discarded(call, receiver, statement, self.info.span, frame, True, None))
