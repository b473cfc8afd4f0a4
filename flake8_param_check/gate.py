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

A call is judged by what its callee is (:meth:`.context.FileContext.call_may_give`): a torch
factory, a Module class, or a function of the file or the project, whose own ``return`` values
are judged the same way.  An attribute stays a tensor only through ``.T``/``.data``-like
properties.  ``self.<attr>`` may hold a tensor when ``attr`` is assigned one, is registered by
name, or a base class may hold tensor state.

The gate errs on the side of parsing: what it lets through may hold no finding; what it stops
cannot hold one for the rules as written.  Every rule example is checked against it.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Callable, Iterable

from . import torch_names as tn
from .imports import dotted_name
from .index import ClassInfo, FunctionInfo

if TYPE_CHECKING:  # pragma: no cover
    from .context import FileContext

TOP, TENSORISH, ANY = 0, 1, 2

#: Words in an annotation that inference reads as a tensor or a Parameter.
_TENSOR_WORDS = ("Tensor", "Parameter")
#: Properties that turn a tensor into another one.
_TENSOR_PROPERTIES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})
_IN_PROGRESS = object()
_REGISTRATION = re.compile(
    r"(?:register_buffer|register_parameter|add_module|register_module|add_state|setattr)"
    r"\(\s*(?:\w+\s*,\s*)?[rbuRBU]?['\"](\w+)['\"]"
)


def worth_parsing(info: ClassInfo, context: "FileContext", inherited: Callable[[], bool]) -> bool:
    """Could the Module class ``info`` hold a finding?  ``inherited()``: a base class may hold
    tensor state of its own (asked only when a ``self.<attr>`` read is left to decide)."""
    gate = Gate(context, info, inherited)
    in_init = init_scope(info, context)
    # Outside the init scope only TPC002 and TPC005 apply, and both need one of these words in
    # the method: most classes hold none, and then those methods need no look at all.
    words_in_class = any(word in context.class_text(info) for word in OUTSIDE_INIT_WORDS)
    init_methods = [function for name, function in info.methods.items() if name in in_init]
    for name, function in info.methods.items():
        if name not in in_init:
            if (
                words_in_class
                and any(word in context.span_text(function.span) for word in OUTSIDE_INIT_WORDS)
                and function.self_assigns
            ):
                return True
            continue
        if not function.self_assigns:
            continue
        for target, value in function.self_assigns:
            if not gate.harmless(value, function, TOP):
                return True
            # Only what the init scope adds counts: other methods are walked from a copy of
            # the state ``__init__`` leaves, and what they add to it is never judged.
            if _is_container(value) and not gate.fills_harmless(f"self.{target.attr}", init_methods):
                return True
    return False


def _is_container(node: ast.expr) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_container(node.body) or _is_container(node.orelse)
    return isinstance(node, (ast.List, ast.Dict, ast.ListComp, ast.DictComp))


#: Outside the init scope a finding (TPC002, TPC005) needs one of these words in the method.
OUTSIDE_INIT_WORDS = ("requires_grad", "Parameter", "Variable")


def init_scope(info: ClassInfo, context: "FileContext") -> set[str]:
    """``__init__`` and the methods it calls on ``self``, transitively, found by their text.  A
    class without its own ``__init__`` may have every method called by an inherited one."""
    if "__init__" not in info.methods:
        return set(info.methods)
    scope = {"__init__"}
    pending = ["__init__"]
    while pending:
        function = info.methods[pending.pop()]
        text = context.span_text(function.span)
        for name in info.methods:
            if name not in scope and f".{name}(" in text:
                scope.add(name)
                pending.append(name)
    return scope


class Gate:
    """Judges expressions of one file; ``owner`` is the class whose ``self`` reads it follows."""

    def __init__(self, context: "FileContext", owner: ClassInfo | None, inherited: Callable[[], bool]) -> None:
        self.context = context
        self.owner = owner
        self._inherited = inherited
        self._inherited_value: bool | None = None
        self.memo: dict[tuple[object, ...], object] = {}
        self._registered: frozenset[str] | None = None

    def _memoised(self, key: tuple[object, ...], compute: Callable[[], bool]) -> bool:
        cached = self.memo.get(key)
        if cached is _IN_PROGRESS:
            return True  # a cycle: what it adds is judged by the other values
        if cached is not None:
            return bool(cached)
        self.memo[key] = _IN_PROGRESS
        result = compute()
        self.memo[key] = result
        return result

    # --- names -----------------------------------------------------------------------------

    def registered_names(self) -> frozenset[str]:
        """Names the class registers by literal (``register_buffer("pe", ...)``, ``setattr``)."""
        if self._registered is None:
            text = self.context.class_text(self.owner) if self.owner is not None else ""
            self._registered = frozenset(_REGISTRATION.findall(text))
        return self._registered

    def fills_harmless(self, key: str, functions: Iterable[FunctionInfo]) -> bool:
        """Whether what ``functions`` add to the container ``key`` (``xs`` or ``self.xs``) is
        harmless as an element."""
        return all(self.harmless(value, function, ANY) for function in functions for value in function.fills.get(key, ()))

    def harmless_self(self, attr: str) -> bool:
        """``self.<attr>``: harmless unless assigned something that matters, registered by name,
        or possibly set by a base class."""
        if self.owner is None:
            return False
        if self._inherited_value is None:
            self._inherited_value = self._inherited()
        if self._inherited_value:
            return False
        owner = self.owner
        if attr in self.registered_names():
            return False
        return self._memoised(
            ("self", attr),
            lambda: all(
                self.harmless(value, function, ANY)
                for function in owner.methods.values()
                for target, value in function.self_assigns
                if target.attr == attr
            ),
        )

    def harmless_local(self, name: str, function: FunctionInfo, mode: int) -> bool:
        if name in tensor_arguments(function):
            return False
        values = function.local_values.get(name)
        if values is None:
            return True  # a global or an unannotated argument: inference does not know it
        return self._memoised(
            ("local", id(function), name, mode),
            lambda: all(v is None or self.harmless(v, function, mode) for v in values)
            and (not any(v is not None and _is_container(v) for v in values) or self.fills_harmless(name, [function])),
        )

    def returns_harmless(self, function: FunctionInfo, mode: int) -> bool:
        """What ``function`` returns, judged in its own scope (see ``FileContext.call_may_give``)."""
        if function.node.returns is not None and _mentions_tensor(function.node.returns):
            return False  # ``-> Tensor``: inference takes the annotation's word for it
        return self._memoised(
            ("returns", id(function), mode),
            lambda: all(self.harmless(value, function, mode) for value in function.return_values),
        )

    # --- expressions -----------------------------------------------------------------------

    def harmless(self, node: ast.expr, function: FunctionInfo, mode: int) -> bool:
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Lambda)):
            return True
        if isinstance(node, ast.Name):
            return self.harmless_local(node.id, function, mode)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == function.self_name:
                return self.harmless_self(node.attr)
            if node.attr not in _TENSOR_PROPERTIES:
                return True  # inference knows no other attribute of anything
            return self.harmless(node.value, function, TENSORISH)
        if isinstance(node, ast.Subscript):
            return self.harmless(node.value, function, TENSORISH)
        if isinstance(node, ast.Call):
            return self.harmless_call(node, function, mode)
        if isinstance(node, ast.BinOp):
            return self.harmless(node.left, function, TENSORISH) and self.harmless(node.right, function, TENSORISH)
        if isinstance(node, ast.UnaryOp):
            return self.harmless(node.operand, function, TENSORISH)
        if isinstance(node, ast.Compare):
            return self.harmless(node.left, function, TENSORISH) and all(
                self.harmless(c, function, TENSORISH) for c in node.comparators
            )
        if isinstance(node, ast.IfExp):
            return self.harmless(node.body, function, mode) and self.harmless(node.orelse, function, mode)
        # A container literal: its elements.  (What is added to it later is judged where it is
        # bound to a name or to ``self``: ``fills_harmless``.)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(not isinstance(e, ast.Starred) and self.harmless(e, function, ANY) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(k is not None and self.harmless(v, function, ANY) for k, v in zip(node.keys, node.values))
        if isinstance(node, ast.ListComp):
            return self.harmless(node.elt, function, ANY)
        if isinstance(node, ast.DictComp):
            return self.harmless(node.value, function, ANY)
        if isinstance(node, ast.NamedExpr):
            return self.harmless(node.value, function, mode)
        # BoolOp, sets, generators, await, ...: inference gives nothing for these.
        return isinstance(node, (ast.BoolOp, ast.Set, ast.SetComp, ast.GeneratorExp, ast.Await))

    def harmless_call(self, node: ast.Call, function: FunctionInfo, mode: int) -> bool:
        func = node.func
        name = dotted_name(func)
        if name is not None:
            root, _, rest = name.partition(".")
            if root == function.self_name and self.owner is not None:
                if "." not in rest:
                    method = self.owner.methods.get(rest)
                    return method is not None and self.returns_harmless(method, mode)
                # ``self.<attr>.<method>(...)``: a method of a value, below
            elif root not in function.local_values and root not in tensor_arguments(function):
                if self.context.copies_argument(name):
                    first = node.args[0] if node.args else None
                    return first is None or (
                        not isinstance(first, ast.Starred) and self.harmless(first, function, mode)
                    )
                return not self.context.call_may_give(name, mode)
        if isinstance(func, ast.Attribute):
            # A method of some value: a tensor when the value is a tensor or a Parameter and
            # the method gives one (``p.half()``, not ``w.numel()``); a Module only when the value
            # is one and the method gives it back (``layer.to(dev)``, in a container).
            method = func.attr
            gives_tensor = tn.method_may_give_tensor(method)
            gives_module = mode == ANY and method in tn.MODULE_SELF_METHODS
            if not (gives_tensor or gives_module):
                return True
            return self.harmless(func.value, function, ANY if gives_module else TENSORISH)
        return True  # ``table[k](...)``, ``f()(...)``: inference does not follow these


def tensor_arguments(function: FunctionInfo) -> frozenset[str]:
    """The arguments annotated as tensors, Parameters or Modules."""
    found = function.tensor_args
    if found is None:
        args = function.node.args
        found = function.tensor_args = frozenset(
            a.arg
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
            if a.annotation is not None and _mentions_tensor(a.annotation)
        )
    return found


def _mentions_tensor(annotation: ast.expr) -> bool:
    """Whether a name, attribute or string in ``annotation`` holds ``Tensor`` or ``Parameter``."""
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if any(word in text for word in _TENSOR_WORDS):
            return True
    return False
