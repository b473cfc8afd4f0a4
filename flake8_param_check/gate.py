"""Which Module classes are worth a libcst parse: a cheap look at flake8's ``ast``.

Parsing with libcst costs several times Python's own parser, so the analysis parses only classes
that *could* hold a finding.  The outline (:mod:`.index`) already lists, for each method, its
``self.<attr> = value`` statements, what each local name is assigned and what it returns.  A
class passes when one of those values may be, by the rules of :mod:`.inference`, something a rule
reports: a tensor, or a container.  The judgement mirrors inference, in three strengths:

- ``TOP``: the value stored on ``self``, reported when it is a tensor or a container;
- ``TENSORISH``: an operand or a method's receiver, which matters when it is a tensor or a
  Parameter (``p.half()``, ``w * 2``); a Module's methods give a Module, which is no finding;
- ``ANY``: a container element or a ``self.<attr>`` read, where a Module or a Parameter matters.

What calls, methods, properties and operators give is read from :mod:`.effects`, the table the
inference reads too, so the two cannot disagree.  A call is judged by what its callee is
(:func:`call_may_give`): a torch factory, a Module class, or a function of the file or the project,
whose own ``return`` values are judged the same way.  ``self.<attr>`` may hold a tensor when
``attr`` is assigned one, is registered by name, or a base class may hold tensor state.

The gate errs on the side of parsing: what it lets through may hold no finding; what it stops
cannot hold one for the rules as written.  Every rule example is checked against it.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Sequence

from . import effects
from . import torch_names as tn
from .imports import dotted_name
from .index import ClassInfo, FunctionInfo
from .memo import Memo
from .symbols import ClassRef, FileSymbols, FunctionRef, Qualified
from .values import TENSOR_LIKE, Kind


class Mode(enum.Enum):
    """Which kinds of value matter where an expression stands (the value: those kinds)."""

    TOP = frozenset({Kind.TENSOR, Kind.CONTAINER})  #: stored on ``self``: what a rule reports
    TENSORISH = TENSOR_LIKE  #: an operand or a receiver: what makes the result a tensor
    ITEMS = TENSOR_LIKE | {Kind.CONTAINER}  #: what is subscripted, added or repeated
    ANY = frozenset(Kind)  #: a container element or a ``self.<attr>`` read

    @property
    def cares(self) -> frozenset[Kind]:
        return self.value


def _mode_for(kinds: set[Kind]) -> Optional[Mode]:
    """The narrowest mode in which a value of one of ``kinds`` matters (``None``: no kind)."""
    if not kinds:
        return None
    return next(mode for mode in (Mode.TENSORISH, Mode.ITEMS, Mode.ANY) if kinds <= mode.cares)


@functools.lru_cache(maxsize=None)
def _method_receiver(method: str, has_args: bool, mode: Mode) -> Optional[Mode]:
    """How to judge the receiver of ``<receiver>.<method>(...)`` where ``mode`` applies: by the
    kinds of receiver on which the method gives what matters (``None``: on none)."""
    return _mode_for({k for k in Kind if effects.method_kind(k, method, has_args) in mode.cares})


@functools.lru_cache(maxsize=None)
def _attribute_receiver(name: str, mode: Mode) -> Optional[Mode]:
    """Likewise for ``<receiver>.<name>``."""
    return _mode_for({k for k in Kind if effects.attribute(k, name) in mode.cares})


@functools.lru_cache(maxsize=None)
def _operand_mode(joining: bool, mode: Mode) -> Optional[Mode]:
    """How to judge the operands of an operator (``joining``: ``+`` or ``*``, which also join
    lists) where ``mode`` applies."""
    gives = effects.joins if joining else effects.operator
    return _mode_for({k for k in Kind if gives(k) in mode.cares})


#: What a subscript's receiver may be for it to give anything.
_SUBSCRIPTED = _mode_for(set(effects.SUBSCRIPTED))
_JOINING = (ast.Add, ast.Mult)
_REGISTRATION = re.compile(
    r"(?:" + "|".join(sorted(tn.REGISTER_METHODS | {tn.SETATTR})) + r")"
    r"\(\s*(?:\w+\s*,\s*)?[rbuRBU]?['\"](\w+)['\"]"
)


def worth_parsing(info: ClassInfo, symbols: FileSymbols, inherited: Callable[[], bool],
                  words: Sequence[str] = tn.TRAINABLE_WORDS) -> bool:
    """Could the Module class ``info`` hold a finding?  ``inherited()``: a base class may hold
    tensor state of its own (asked only when a ``self.<attr>`` read is left to decide).
    ``words``: outside the init scope, a method without one of them holds no finding."""
    gate = Gate(symbols, info, inherited)
    in_init = init_scope(info, symbols)
    # Most classes hold none of the words, and then the methods outside the init scope need no
    # look at all.
    words_in_class = any(word in symbols.class_text(info) for word in words)
    init_methods = [function for name, function in info.methods.items() if name in in_init]
    trainable = {attr for function in info.methods.values() for attr in function.made_trainable}
    for name, function in info.methods.items():
        # The method's notes (made for its assignments anyway) hold its discarded calls.
        if gate.discards_tensor(function, function.noted_discards()):
            return True
        if name not in in_init:
            if (
                words_in_class
                and any(word in symbols.span_text(function.span) for word in words)
                and function.self_assigns
            ):
                return True
            # Stored here, made trainable elsewhere (TPC002); or an override that a base
            # class's ``__init__`` calls, so that it runs in the init scope.
            risky = [v for t, v in function.self_assigns if not gate.harmless(v, function, Mode.TOP)]
            made_trainable = any(t.attr in trainable for t, _ in function.self_assigns)
            if risky and (made_trainable or _called_by_bases(name, info, symbols)):
                return True
            continue
        if not function.self_assigns:
            continue
        for target, value in function.self_assigns:
            if not gate.harmless(value, function, Mode.TOP):
                return True
            # Only what the init scope adds counts: other methods are walked from a copy of
            # the state ``__init__`` leaves, and what they add to it is never judged.
            if _is_container(value) and not gate.fills_harmless(f"self.{target.attr}", init_methods):
                return True
    return builds_in_forward(info, symbols)


def _is_container(node: ast.expr) -> bool:
    """Whether ``node`` makes a list or dict that later statements may fill (``[]``, ``dict()``)."""
    if isinstance(node, ast.IfExp):
        return _is_container(node.body) or _is_container(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in effects.CONTAINER_BUILTINS
    return isinstance(node, (ast.List, ast.Dict, ast.ListComp, ast.DictComp))


def init_scope(info: ClassInfo, symbols: FileSymbols) -> set[str]:
    """``__init__`` and the methods it calls on ``self``, transitively, found by their text.  A
    class without its own ``__init__`` may have every method called by an inherited one."""
    if "__init__" not in info.methods:
        return set(info.methods)
    scope = {"__init__"}
    pending = ["__init__"]
    while pending:
        function = info.methods[pending.pop()]
        text = symbols.span_text(function.span)
        for name in info.methods:
            if name not in scope and f".{name}(" in text:
                scope.add(name)
                pending.append(name)
    return scope


def forward_scope(info: ClassInfo, symbols: FileSymbols) -> set[str]:
    """``forward`` and the methods of the class it calls on ``self``, transitively, found by their
    text (the class walk follows the calls themselves, and leaves out the init scope)."""
    if tn.FORWARD_METHOD not in info.methods:
        return set()
    scope = {tn.FORWARD_METHOD}
    pending = [tn.FORWARD_METHOD]
    while pending:
        text = symbols.span_text(info.methods[pending.pop()].span)
        for name in info.methods:
            if name not in scope and f".{name}(" in text:
                scope.add(name)
                pending.append(name)
    return scope


def builds_in_forward(info: ClassInfo, symbols: FileSymbols) -> bool:
    """Whether a method of the forward scope may build a Module or a Parameter that holds state
    (what :func:`builds` says of a call), whatever guards it.  Once per class."""
    memo: Memo[bool] = symbols.caches.setdefault("builds-in-forward", Memo())
    return memo.get(info.qualname, lambda: any(
        _builds_in(info.methods[name], symbols) for name in forward_scope(info, symbols)), True)


#: A call whose name ends in a capitalised word (``nn.Linear(``, ``Block (``), as text: what a
#: class is called by (classes are capitalised; a lowercase name for one is found by
#: :func:`_lowercase_builders`).  It finds every such call the inference can resolve, and more
#: (in strings and comments); searching for it is about ten times cheaper than walking the tree.
_CAPITALISED_CALL = re.compile(r"[A-Z]\w*\s*\(")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def _builds_in(function: FunctionInfo, symbols: FileSymbols) -> bool:
    text = _code_text(function, symbols)
    names = set()
    # The regex starts at a capital only (a dotted prefix in the pattern makes it several times
    # slower); the name's prefix (``nn.`` of ``nn.Linear``) is read backwards.
    for match in _CAPITALISED_CALL.finditer(text):
        start = match.start()
        while start > 0 and text[start - 1] in _NAME_CHARS:
            start -= 1
        names.add(text[start:match.end() - 1].rstrip())
    names.update(name for name in _lowercase_builders(symbols) if name + "(" in text)
    found = {name for name in names if name.partition(".")[0] != function.self_name and builds(symbols, name)}
    if not found:
        return False
    # The text also holds strings and comments: confirm with the calls of the tree (rarely asked).
    return any(
        isinstance(node, ast.Call) and dotted_name(node.func) in found
        for node in ast.walk(function.node)
    )


def _code_text(function: FunctionInfo, symbols: FileSymbols) -> str:
    """The text of ``function`` from its ``def`` line (its decorators run once, when the class
    is made), without its docstring (whose examples call classes too)."""
    node = function.node
    lines = symbols.index.lines
    start, end = node.lineno, function.span.end
    first = node.body[0] if node.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return "".join(lines[start - 1: end])
    return "".join([*lines[start - 1: first.lineno - 1], *lines[(first.end_lineno or first.lineno): end]])


def _lowercase_builders(symbols: FileSymbols) -> frozenset[str]:
    """Lowercase names under which the file may call a class: its lowercase classes, and the
    capitalised names it imports under a lowercase one (``from torch.nn import Linear as
    linear``).  A lowercase imported name is taken for a function: looking each one up would
    read the files they come from."""
    found: frozenset[str] | None = symbols.caches.get("lowercase-builders")
    if found is None:
        index = symbols.index
        aliases = index.imports.aliases
        renamed = [a for a, target in aliases.items() if target.rpartition(".")[2][:1].isupper()]
        found = frozenset(
            name for name in (*index.classes_by_name, *renamed) if name[:1].islower() or name[:1] == "_"
        )
        symbols.caches["lowercase-builders"] = found
    return found


def builds(symbols: FileSymbols, name: str) -> bool:
    """Whether calling the dotted ``name`` builds a ``torch.nn`` layer with Parameters, buffers or
    a train/eval behaviour, a Module class of the project, or a Parameter (once per file)."""
    memo: Memo[bool] = symbols.caches.setdefault("builds", Memo())
    return memo.get(name, lambda: _builds(symbols, name), True)


def _builds(symbols: FileSymbols, name: str) -> bool:
    meaning = symbols.lookup(name)
    if isinstance(meaning, ClassRef):
        return meaning.is_module()
    if not isinstance(meaning, Qualified):
        return False
    effect = effects.call(meaning.name, symbols.settings.module_bases)
    if effect is effects.Call.PARAMETER:
        return True
    return (
        effect is effects.Call.MODULE
        and tn.torch_layer_name(meaning.name) is not None
        and effects.module_holds(meaning.name) in (effects.Holds.STATE, effects.Holds.MODE)
    )


def _called_by_bases(name: str, info: ClassInfo, symbols: FileSymbols) -> bool:
    """Whether a project base class of ``info`` (or one of theirs) calls ``self.<name>(``."""
    seen: set[int] = set()
    pending = list(symbols.base_refs(info))
    while pending and len(seen) < 32:
        ref = pending.pop()
        if id(ref.info) in seen:
            continue
        seen.add(id(ref.info))
        if f".{name}(" in ref.symbols.class_text(ref.info):
            return True
        pending.extend(ref.symbols.base_refs(ref.info))
    return False


def call_may_give(symbols: FileSymbols, name: str, mode: Mode) -> bool:
    """Whether calling the dotted ``name`` (a file-level or imported name) may give what matters
    in ``mode``.  Follows the name to its definition, in the project when it is imported from
    there, and judges a function by its returns.  Computed once per file (a recursive function
    is assumed to give it)."""
    memo: Memo[bool] = symbols.caches.setdefault("gate", Memo())
    return memo.get((name, mode), lambda: _call_may_give(symbols, name, mode), True)


def _call_may_give(symbols: FileSymbols, name: str, mode: Mode) -> bool:
    meaning = symbols.lookup(name)
    if isinstance(meaning, Qualified):
        effect = effects.call(meaning.name, symbols.settings.module_bases)
        if effect is None:
            return False
        return effect.kind is None or effect.kind in mode.cares
    if isinstance(meaning, ClassRef):
        return Kind.MODULE in mode.cares and meaning.is_module()
    if isinstance(meaning, FunctionRef):
        gate = Gate(meaning.symbols, meaning.info.owner, lambda: True)
        return not gate.returns_harmless(meaning.info, mode)
    return False  # a builtin or an unknown name: inference gives nothing


_GIVES_ARGUMENT = (effects.Call.FIRST_ARGUMENT, effects.Call.COPY_OF_FIRST_ARGUMENT)


class _Repeats:
    """The gate's questions for TPC007 and TPC009: whether a list repeats one Module object, and
    whether a statement may drop a tensor conversion (a part of :class:`Gate`)."""

    symbols: FileSymbols
    owner: ClassInfo | None

    if TYPE_CHECKING:  # pragma: no cover - provided by Gate
        def _memoised(self, key: tuple[object, ...], compute: Callable[[], bool]) -> bool: ...
        def harmless(self, node: ast.expr, function: FunctionInfo, mode: Mode) -> bool: ...
        def bound_arguments(self, function: FunctionInfo) -> frozenset[str]: ...

    def discards_tensor(self, function: FunctionInfo, calls: Optional[list[ast.Call]] = None,
                        self_known: bool = True) -> bool:
        """Whether an expression statement of ``function`` may convert a tensor and drop the
        result (``x.to(d)`` alone): its receiver may be a tensor.  ``calls``: those statements'
        calls, when known (else :attr:`.index.FunctionInfo.discards`).  Without ``self_known`` a
        receiver read from ``self`` is unknown (a function outside a Module class)."""
        for call in function.discards if calls is None else calls:
            receiver = call.func.value  # type: ignore[attr-defined]
            if not self_known and _root_name(receiver) == function.self_name:
                continue
            if not self.harmless(receiver, function, Mode.TENSORISH):
                return True
        return False

    def repeats_modules(self, name: str, node: ast.Call, function: FunctionInfo) -> bool:
        """``nn.ModuleList(xs)`` or ``nn.Sequential(*xs)`` where ``xs`` may repeat one object."""
        if name.rpartition(".")[2] not in tn.MODULE_SEQUENCES:
            return False
        meaning = self.symbols.lookup(name)
        if not (isinstance(meaning, Qualified) and tn.torch_layer_name(meaning.name) in tn.MODULE_SEQUENCES):
            return False
        return any(self.may_repeat(arg, function) for arg in node.args)

    def may_repeat(self, node: ast.expr, function: FunctionInfo) -> bool:
        """Whether ``node`` may be a list holding one object several times: ``[x] * n``, a
        comprehension whose element is not made per item, ``itertools.repeat(x, n)``, or what a
        name, an attribute of ``self`` or a function holding one gives."""
        if isinstance(node, (ast.Starred, ast.NamedExpr)):
            return self.may_repeat(node.value, function)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Mult):
                return True
            return isinstance(node.op, ast.Add) and (
                self.may_repeat(node.left, function) or self.may_repeat(node.right, function))
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return isinstance(node.elt, (ast.Name, ast.Attribute))
        if isinstance(node, ast.IfExp):
            return self.may_repeat(node.body, function) or self.may_repeat(node.orelse, function)
        if isinstance(node, ast.Subscript):
            return self.may_repeat(node.value, function)
        if isinstance(node, ast.Name):
            values = function.local_values.get(node.id)
            if values is None:
                return node.id in self.bound_arguments(function)
            return self._memoised(("repeat", id(function), node.id),
                                  lambda: any(v is not None and self.may_repeat(v, function) for v in values))
        if isinstance(node, ast.Attribute):
            owner = self.owner
            on_self = isinstance(node.value, ast.Name) and node.value.id == function.self_name
            if owner is None or not on_self:
                return False
            return self._memoised(("repeat-self", node.attr), lambda: any(
                self.may_repeat(value, method)
                for method in owner.methods.values()
                for target, value in method.self_assigns
                if target.attr == node.attr
            ))
        if isinstance(node, ast.Call):
            return self.call_may_repeat(node, function)
        return False

    def call_may_repeat(self, node: ast.Call, function: FunctionInfo) -> bool:
        name = dotted_name(node.func)
        if name is None:
            return False
        root, _, rest = name.partition(".")
        if root == function.self_name:
            method = self.owner.methods.get(rest) if self.owner is not None and "." not in rest else None
            return method is not None and self._memoised(
                ("repeat-returns", id(method)),
                lambda: any(self.may_repeat(v, method) for v in method.return_values))
        if name in effects.CONTAINER_BUILTINS and self.symbols.lookup(name) is None:
            return any(self.may_repeat(arg, function) for arg in node.args)
        meaning = self.symbols.lookup(name)
        if isinstance(meaning, Qualified):
            return effects.call(meaning.name) is effects.Call.REPEAT
        if isinstance(meaning, FunctionRef):
            info = meaning.info
            gate = self
            if meaning.symbols is not self.symbols:
                gate = Gate(meaning.symbols, info.owner, lambda: True)
            return gate._memoised(("repeat-returns", id(info)),
                                  lambda: any(gate.may_repeat(v, info) for v in info.return_values))
        return False


class Gate(_Repeats):
    """Judges expressions of one file; ``owner`` is the class whose ``self`` reads it follows."""

    def __init__(self, symbols: FileSymbols, owner: ClassInfo | None, inherited: Callable[[], bool]) -> None:
        self.symbols = symbols
        self.owner = owner
        self._inherited = inherited
        self._inherited_value: bool | None = None
        #: A cycle (``x = x + 1``, mutual helpers) is judged by the other values.
        self.memo: Memo[bool] = Memo()
        self._registered: frozenset[str] | None = None
        self._defaults: dict[int, dict[str, ast.expr]] = {}
        self._bound: frozenset[str] | None = None

    def _memoised(self, key: tuple[object, ...], compute: Callable[[], bool]) -> bool:
        return self.memo.get(key, compute, True)

    # --- names -----------------------------------------------------------------------------

    def registered_names(self) -> frozenset[str]:
        """Names the class registers by literal (``register_buffer("pe", ...)``, ``setattr``)."""
        if self._registered is None:
            text = self.symbols.class_text(self.owner) if self.owner is not None else ""
            self._registered = frozenset(_REGISTRATION.findall(text))
        return self._registered

    def fills_harmless(self, key: str, functions: Iterable[FunctionInfo]) -> bool:
        """Whether what ``functions`` add to the container ``key`` (``xs`` or ``self.xs``) is
        harmless as an element."""
        return all(
            self.harmless(value, function, Mode.ANY)
            for function in functions
            for value in function.fills.get(key, ())
        )

    def harmless_self(self, attr: str, mode: Mode = Mode.ANY) -> bool:
        """``self.<attr>``: harmless unless assigned something that matters, registered by name,
        or possibly set by a base class.  What matters is any kind (the attribute may be put in
        a container, compared...), except where only a tensor does (a receiver of a tensor
        method, ``mode`` TENSORISH): the inference reads what was assigned."""
        if self.owner is None:
            return False
        if self._inherited_value is None:
            self._inherited_value = self._inherited()
        if self._inherited_value:
            return False
        owner = self.owner
        if attr in self.registered_names():
            return False
        judged = Mode.TENSORISH if mode is Mode.TENSORISH else Mode.ANY
        return self._memoised(
            ("self", attr, judged),
            lambda: all(
                self.harmless(value, function, judged)
                for function in owner.methods.values()
                for target, value in function.self_assigns
                if target.attr == attr
            ),
        )

    def harmless_local(self, name: str, function: FunctionInfo, mode: Mode) -> bool:
        kinds = tensor_arguments(self.symbols, function).get(name)
        if kinds is not None:
            return not (kinds & mode.cares)
        values = function.local_values.get(name)
        if values is None:
            # A global or an unannotated argument: inference does not know it, unless the
            # method runs in the init scope with the caller's arguments bound.
            return name not in self.bound_arguments(function)
        return self._memoised(
            ("local", id(function), name, mode),
            lambda: all(v is None or self.harmless(v, function, mode) for v in values)
            and (
                not any(v is not None and _is_container(v) for v in values)
                or self.fills_harmless(name, [function])
            ),
        )

    def returns_harmless(self, function: FunctionInfo, mode: Mode) -> bool:
        """What ``function`` returns, judged in its own scope (see :func:`call_may_give`)."""
        returned = _annotated(self.symbols, function.node.returns)
        if returned is not None and returned in mode.cares:
            return False  # ``-> Tensor``: inference takes the annotation's word for it
        return self._memoised(
            ("returns", id(function), mode),
            lambda: all(self.harmless(value, function, mode) for value in function.return_values),
        )

    # --- expressions -----------------------------------------------------------------------

    def harmless(self, node: ast.expr, function: FunctionInfo, mode: Mode) -> bool:
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Lambda)):
            return True
        if isinstance(node, ast.Name):
            return self.harmless_local(node.id, function, mode)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == function.self_name:
                return self.harmless_self(node.attr, mode)
            owner_mode = _attribute_receiver(node.attr, mode)
            return owner_mode is None or self.harmless(node.value, function, owner_mode)
        if isinstance(node, ast.Subscript):
            return _SUBSCRIPTED is None or self.harmless(node.value, function, _SUBSCRIPTED)
        if isinstance(node, ast.Call):
            return self.harmless_call(node, function, mode)
        if isinstance(node, ast.BinOp):
            joining = isinstance(node.op, _JOINING)
            return self.operands_harmless([node.left, node.right], function, _operand_mode(joining, mode))
        if isinstance(node, ast.UnaryOp):
            return self.operands_harmless([node.operand], function, _operand_mode(False, mode))
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            return self.operands_harmless(operands, function, _operand_mode(False, mode))
        if isinstance(node, ast.IfExp):
            return self.harmless(node.body, function, mode) and self.harmless(node.orelse, function, mode)
        # A container literal: its elements.  (What is added to it later is judged where it is
        # bound to a name or to ``self``: ``fills_harmless``.)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(
                not isinstance(e, ast.Starred) and self.harmless(e, function, Mode.ANY) for e in node.elts
            )
        if isinstance(node, ast.Dict):
            return all(
                k is not None and self.harmless(v, function, Mode.ANY) for k, v in zip(node.keys, node.values)
            )
        if isinstance(node, ast.ListComp):
            return self.harmless(node.elt, function, Mode.ANY)
        if isinstance(node, ast.DictComp):
            return self.harmless(node.value, function, Mode.ANY)
        if isinstance(node, ast.NamedExpr):
            return self.harmless(node.value, function, mode)
        # BoolOp, sets, generators, await, ...: inference gives nothing for these.
        return isinstance(node, (ast.BoolOp, ast.Set, ast.SetComp, ast.GeneratorExp, ast.Await))

    def operands_harmless(self, operands: list[ast.expr], function: FunctionInfo,
                          mode: Optional[Mode]) -> bool:
        """An operator's operands, judged in ``mode`` (``None``: nothing they hold matters)."""
        return mode is None or all(self.harmless(o, function, mode) for o in operands)

    def harmless_call(self, node: ast.Call, function: FunctionInfo, mode: Mode) -> bool:
        func = node.func
        name = dotted_name(func)
        if name is not None:
            root, _, rest = name.partition(".")
            if root == function.self_name and self.owner is not None:
                if "." not in rest:
                    method = self.owner.methods.get(rest)
                    return method is not None and self.returns_harmless(method, mode)
                # ``self.<attr>.<method>(...)``: a method of a value, below
            elif (
                root in function.local_values
                or root in tensor_arguments(self.symbols, function)
                or root in self.bound_arguments(function)
            ):
                if root == name and not self.calls_harmless(root, function, mode):
                    return False  # ``g = partial(helper)`` then ``g(x)``
            elif root == name and root in self.defaults(function):
                # An argument whose default is a function (``window_fn=torch.hann_window``).
                default = dotted_name(self.defaults(function)[root])
                return default is not None and not call_may_give(self.symbols, default, mode)
            else:
                if mode is Mode.TOP and self.repeats_modules(name, node, function):
                    return False  # ``nn.ModuleList([block] * n)``: one object several times
                builtin = effects.CONTAINER_BUILTINS.get(name)
                if builtin is not None and self.symbols.lookup(name) is None:
                    return self.builtin_harmless(node, function, mode)
                if self.symbols.call(name) in _GIVES_ARGUMENT:
                    first = node.args[0] if node.args else None
                    return first is None or (
                        not isinstance(first, ast.Starred) and self.harmless(first, function, mode)
                    )
                return not call_may_give(self.symbols, name, mode)
        if isinstance(func, ast.Attribute):
            # A method of some value (``p.half()``, ``w.numel()``, ``layer.to(dev)``): judged by
            # the receivers for which the method gives what matters here.
            receiver_mode = _method_receiver(func.attr, bool(node.args or node.keywords), mode)
            return receiver_mode is None or self.harmless(func.value, function, receiver_mode)
        return True  # ``table[k](...)``, ``f()(...)``: inference does not follow these

    def bound_arguments(self, function: FunctionInfo) -> frozenset[str]:
        """The parameters of a method that ``__init__`` calls: the walk binds them to what the
        call passes."""
        if self._bound is None:
            scope = init_scope(self.owner, self.symbols) if self.owner is not None else set()
            self._bound = frozenset(name for name in scope if name != "__init__")
        if function.owner is not self.owner or function.name not in self._bound:
            return frozenset()
        args = function.node.args
        return frozenset(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs][1:])

    def defaults(self, function: FunctionInfo) -> dict[str, ast.expr]:
        """Argument name -> its default, for the arguments of ``function`` that have one."""
        found = self._defaults.get(id(function))
        if found is None:
            args = function.node.args
            positional = [*args.posonlyargs, *args.args]
            with_default = positional[len(positional) - len(args.defaults):]
            found = dict(zip([a.arg for a in with_default], args.defaults))
            found.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
            self._defaults[id(function)] = found
        return found

    def calls_harmless(self, name: str, function: FunctionInfo, mode: Mode) -> bool:
        """Calling the local ``name``: harmless unless it may hold ``functools.partial(f, ...)``
        of an ``f`` that may give what matters."""
        for value in function.local_values.get(name, ()):
            if not isinstance(value, ast.Call) or not value.args:
                continue
            callee = dotted_name(value.func)
            if callee is None or self.symbols.call(callee) is not effects.Call.PARTIAL:
                continue
            target = dotted_name(value.args[0])
            if target is None or call_may_give(self.symbols, target, mode):
                return False
        return True

    def builtin_harmless(self, node: ast.Call, function: FunctionInfo, mode: Mode) -> bool:
        """``list(...)``, ``tuple(...)``, ``dict(...)``: a new container of what they are given."""
        if len(node.args) != 1 or node.keywords:
            return True
        argument = node.args[0]
        if isinstance(argument, (ast.GeneratorExp, ast.ListComp)):
            return mode is Mode.TENSORISH or self.harmless(argument.elt, function, Mode.ANY)
        return isinstance(argument, ast.Starred) or self.harmless(argument, function, Mode.ANY)


def _root_name(node: ast.expr) -> Optional[str]:
    """``a`` for ``a``, ``a.b.c``, ``a[0].b`` or ``a.f().b``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def tensor_arguments(symbols: FileSymbols, function: FunctionInfo) -> dict[str, frozenset[Kind]]:
    """The arguments annotated as tensors, Parameters, Modules or tuples of those, with the kinds
    inference gives them; and the names an ``isinstance`` test may narrow (to any kind)."""
    found = function.tensor_args
    if found is None:
        args = function.node.args
        found = {name: frozenset(Kind) for name in function.narrowed}
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            kind = _annotated(symbols, arg.annotation)
            if kind is not None and arg.arg not in found:
                found[arg.arg] = frozenset({kind})
        function.tensor_args = found
    return found


def _annotated(symbols: FileSymbols, annotation: Optional[ast.expr]) -> Optional[Kind]:
    """The kind inference reads ``annotation`` as, when it may matter (not ``None``)."""
    value = symbols.annotated(annotation)
    return value.kind if value is not None and value.kind is not Kind.NONE else None
