"""Tensor inference: what kind of value a libcst expression holds.

A :class:`Walker` runs through a function body statement by statement, in order, keeping what each
local name holds (flow-sensitively: a branch that may not run makes a name unknown unless every
path agrees).  Expressions evaluate to a :class:`~.values.Val` (a tensor, a Parameter, a buffer, a
Module instance or a plain container of those) or to ``None``: unknown, which is never reported.

Each node type has its handler (``stmt_<Type>`` and ``expr_<Type>``, found once per type, as
pyflakes does); what a call, a method, a property or an operator gives comes from :mod:`.effects`,
the table the gate reads too.  What names *mean* comes from the :class:`Resolver` the walker is
given.  Subclasses hook into assignments to ``self.<attr>`` and calls on ``self``: the class walk
in :mod:`.classwalk` is one.
"""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, Optional, Protocol, Sequence

import libcst as cst

from . import effects
from . import torch_names as tn
from .index import FunctionInfo
from .symbols import ClassRef, FunctionRef, Meaning, Qualified
from .values import (
    NONE, UNKNOWN_HOLDS, Container, Env, Kind, Val, container, either, items, join_all, merge_envs, tensor,
)


class Budget(Exception):
    """Raised when one file has used up its evaluation budget (see :data:`MAX_STEPS`)."""


#: The most expressions and statements one file may evaluate.  Real files use a few thousand;
#: the bound only stops pathological inputs (generated code, deep helper chains) from hanging.
MAX_STEPS = 200_000


class Signatures(Protocol):
    """What :func:`frame_for` asks of the file that defines a function."""

    def annotation_value(self, source: str) -> Optional[Val]:
        """What a value annotated with ``source`` (an annotation's text) holds."""

    def lookup(self, name: str, scope: str = "") -> Optional[Meaning]:
        """What the dotted ``name`` means at module level."""


class Resolver(Signatures, Protocol):
    """What a :class:`Walker` asks about the file it walks."""

    module_bases: frozenset[str]  #: configured Module classes (for :func:`.effects.call`)

    def step(self, cost: int = 1) -> None:
        """Charge ``cost`` to the file's budget; raises :class:`Budget` when it is spent."""

    def meaning(self, name: str, frame: "Frame") -> Optional[Meaning]:
        """What the dotted ``name`` means where ``frame`` stands (``None``: a local or unknown)."""

    def returns(self, ref: FunctionRef) -> Optional[Val]:
        """What calling the function ``ref`` gives."""


# --- small syntax helpers --------------------------------------------------------------------


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def is_true(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_false(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def string_value(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def walk(node: cst.CSTNode, skip: cst.CSTNode | None = None) -> Iterator[cst.CSTNode]:
    """Every node under ``node`` (itself included), in source order; ``skip`` is yielded but
    not entered."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is skip:
            continue
        children = current.children
        if isinstance(current, cst.Attribute):  # ``.attr`` and ``keyword=`` are not variables
            children = [c for c in children if c is not current.attr]
        elif isinstance(current, cst.Arg) and current.keyword is not None:
            children = [c for c in children if c is not current.keyword]
        stack.extend(reversed(children))


def target_names(node: cst.BaseExpression) -> Iterator[str]:
    """Every plain name a ``for``/``with``/comprehension target binds."""
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from target_names(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from target_names(node.value)


_EMPTY = cst.Module([])


def annotation_text(annotation: Optional[cst.Annotation]) -> Optional[str]:
    """The source text of an annotation (read by :meth:`Annotations.annotation_value`)."""
    return _EMPTY.code_for_node(annotation.annotation) if annotation is not None else None


_ORDERED = (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual)


#: An ``if`` test around a statement: the test, whether it holds there, the branch it guards.
Condition = tuple[cst.BaseExpression, bool, cst.BaseSuite]


class Frame:
    """One function being walked: its locals and where it stands."""

    __slots__ = ("env", "self_name", "method", "in_init", "loop_refs", "returns")

    def __init__(self, env: Env, self_name: Optional[str], method: str, in_init: bool) -> None:
        self.env = env
        self.self_name = self_name
        self.method = method
        self.in_init = in_init
        self.loop_refs: list[set[str]] = []  #: names each enclosing ``for`` loop iterates over
        self.returns: list[Optional[Val]] = []


def frame_for(function: cst.FunctionDef, info: Optional[FunctionInfo], in_init: bool,
              resolver: Signatures) -> Frame:
    """A frame whose locals are ``function``'s parameters: what their annotations say, or for
    one whose default is a function, that function (``window_fn=torch.hann_window``)."""
    params = function.params
    positional = [*params.posonly_params, *params.params]
    is_static = info is not None and "staticmethod" in info.decorators
    self_name = None
    if info is not None and info.owner is not None and not is_static and positional:
        self_name = positional[0].name.value
        positional = positional[1:]
    env: Env = {}
    for param in [*positional, *params.kwonly_params]:
        text = annotation_text(param.annotation)
        value = resolver.annotation_value(text) if text is not None else None
        if value is None and param.default is not None:
            value = _callable_default(param.default, resolver)
        env[param.name.value] = value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            env[star.name.value] = None
    return Frame(env, self_name, function.name.value, in_init)


def _handlers(cls: type, prefix: str) -> Dict[type, str]:
    """Node type -> handler method name, for every ``<prefix><libcst class name>`` of ``cls``."""
    table: Dict[type, str] = {}
    for attr in dir(cls):
        if attr.startswith(prefix):
            node_type = getattr(cst, attr[len(prefix):], None)
            if isinstance(node_type, type):
                table[node_type] = attr
    return table


class _WalkerBase:
    """What the walk shares: the resolver, the block being walked, the hooks a subclass overrides,
    and the dispatch of statements and expressions to their handlers."""

    _statement_handlers: Dict[type, str] = {}
    _expression_handlers: Dict[type, str] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._statement_handlers = _handlers(cls, "stmt_")
        cls._expression_handlers = _handlers(cls, "expr_")

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.block_path: list[int] = []
        #: The tests of the ``if`` statements around the statement being walked, each with
        #: whether it holds there (``False`` in an ``elif``/``else`` branch it failed to reach)
        #: and the branch it guards.
        self.conditions: list[Condition] = []
        #: The statement being walked (a line of small statements, or a compound statement).
        self.statement: cst.CSTNode = _EMPTY

    # --- hooks -----------------------------------------------------------------------------

    def on_self_assign(self, frame: Frame, attr: str, target: cst.Attribute, value: Optional[Val],
                       statement: cst.CSTNode, single: bool, value_node: cst.BaseExpression) -> None:
        """``self.<attr> = value``.  ``single``: the statement assigns only this target;
        ``value_node``: the expression assigned."""

    def on_self_delete(self, frame: Frame, attr: str) -> None:
        """``del self.<attr>``."""

    def on_self_method(self, frame: Frame, call: cst.Call, method: str) -> Optional[Val]:
        """``self.<method>(...)``: a call on the Module itself.  Returns what it gives."""
        return None

    def read_self(self, frame: Frame, attr: str) -> Optional[Val]:
        """What ``self.<attr>`` holds, as far as is known."""
        return None

    def on_call(self, frame: Frame, call: cst.Call, value: Optional[Val]) -> None:
        """A call of a name the resolver knows (a class, a function), and what it gave."""

    def on_discarded(self, frame: Frame, call: cst.Call, receiver: Val, statement: cst.CSTNode) -> None:
        """An expression statement ``<receiver>.<method>(...)`` whose method returns a new tensor
        and changes nothing (:func:`.effects.discards`): its result is lost."""

    # --- walking a body --------------------------------------------------------------------

    def merge(self, base: Env, branches: Sequence[Env]) -> Env:
        """:func:`.values.merge_envs`, charged to the budget by the number of names it joins."""
        self.resolver.step(sum(len(env) for env in branches))
        return merge_envs(base, branches)

    def run_function(self, function: cst.FunctionDef, frame: Frame, own_block: bool = True) -> Optional[Val]:
        """Walk ``function``'s body in ``frame``; the join of its ``return`` values.  Without
        ``own_block`` its statements stand in the block being walked (a method ``__init__``
        calls runs on the caller's paths)."""
        if own_block:
            self.run_block(function.body, frame)
        else:
            for statement in function.body.body:
                self.run_statement(statement, frame)
        return join_all(frame.returns)

    def run_block(self, suite: cst.BaseSuite, frame: Frame) -> None:
        self.block_path.append(id(suite))
        try:
            for statement in suite.body:
                self.run_statement(statement, frame)
        finally:
            self.block_path.pop()

    def run_statement(self, node: cst.CSTNode, frame: Frame) -> None:
        self.resolver.step()
        handler = self._statement_handlers.get(type(node))
        if handler is not None:
            outer, self.statement = self.statement, node
            try:
                getattr(self, handler)(node, frame)
            finally:
                self.statement = outer

    def self_attr(self, node: cst.BaseExpression, frame: Frame) -> Optional[str]:
        """``attr`` when ``node`` is ``self.attr``."""
        if (
            frame.self_name is not None
            and isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == frame.self_name
        ):
            return node.attr.value
        return None

    def referenced_names(self, node: cst.BaseExpression, frame: Frame) -> Iterator[str]:
        """Local names and ``self.<attr>`` keys that appear in ``node`` (for matching containers
        with the calls that register their elements one by one)."""
        stack: list[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            attr = self.self_attr(current, frame) if isinstance(current, cst.BaseExpression) else None
            if attr is not None:
                yield "self." + attr
            elif isinstance(current, cst.Name):
                yield current.value
            else:
                stack.extend(current.children)

    # --- evaluating (each expression type has its handler below) -------------------------

    def eval(self, node: cst.BaseExpression, frame: Frame) -> Optional[Val]:
        self.resolver.step()
        handler = self._expression_handlers.get(type(node))
        return getattr(self, handler)(node, frame) if handler is not None else None

    def eval_args(self, call: cst.Call, frame: Frame) -> list[Optional[Val]]:
        """Evaluate the arguments (walrus and nested calls have effects); positional values."""
        values: list[Optional[Val]] = []
        for arg in call.args:
            value = self.eval(arg.value, frame)
            if arg.keyword is None and not arg.star:
                values.append(value)
            elif arg.star and value is not None and value.kind is Kind.CONTAINER:
                values.append(value)
        return values


class _Statements(_WalkerBase):
    """One handler per statement type: control flow, narrowing, binding."""

    def stmt_SimpleStatementLine(self, node: cst.SimpleStatementLine, frame: Frame) -> None:
        for small in node.body:
            handler = self._statement_handlers.get(type(small))
            if handler is not None:
                getattr(self, handler)(small, frame, node)

    def stmt_If(self, node: cst.If, frame: Frame) -> None:
        """Each branch runs knowing its test held and the earlier ones did not
        (``isinstance(x, Tensor)``, ``x is None``: see :meth:`narrowed`)."""
        base = frame.env
        results: list[Env] = []
        current: "cst.If | cst.Else | None" = node
        otherwise: Env = {}  # what the failed tests before this branch tell
        failed: list[cst.BaseExpression] = []  # the tests before this branch
        depth = len(self.conditions)
        while current is not None:
            frame.env = {**base, **otherwise}
            if isinstance(current, cst.Else):
                self.conditions.extend((test, False, current.body) for test in failed)
                self.run_block(current.body, frame)
                del self.conditions[depth:]
                results.append(frame.env)
                break
            self.eval(current.test, frame)
            fails = self.narrowed(current.test, False, frame)
            frame.env = {**frame.env, **self.narrowed(current.test, True, frame)}
            self.conditions.extend((test, False, current.body) for test in failed)
            self.conditions.append((current.test, True, current.body))
            try:
                self.run_block(current.body, frame)
            finally:
                del self.conditions[depth:]
            results.append(frame.env)
            otherwise = {**otherwise, **fails}
            failed.append(current.test)
            current = current.orelse
        if current is None:  # no ``else``: the tests may all fail
            results.append({**base, **otherwise})
        frame.env = self.merge(base, results)

    def stmt_Assert(self, node: cst.Assert, frame: Frame, line: cst.CSTNode) -> None:
        self.eval(node.test, frame)
        frame.env.update(self.narrowed(node.test, True, frame))

    def narrowed(self, test: cst.BaseExpression, holds: bool, frame: Frame) -> Env:
        """What the locals hold where ``test`` is known to be ``holds``: ``isinstance(x, Tensor)``
        makes ``x`` a tensor, ``x is None`` makes it ``None``; ``not`` and ``and`` combine them."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self.narrowed(test.expression, not holds, frame)
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And) and holds:
            return {**self.narrowed(test.left, True, frame), **self.narrowed(test.right, True, frame)}
        if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or) and not holds:
            return {**self.narrowed(test.left, False, frame), **self.narrowed(test.right, False, frame)}
        if isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name):
            comparison = test.comparisons[0]
            if len(test.comparisons) != 1:
                return {}
            if isinstance(comparison.comparator, cst.Name) and comparison.comparator.value == "None":
                is_none = isinstance(comparison.operator, cst.Is)
                if isinstance(comparison.operator, (cst.Is, cst.IsNot)) and is_none == holds:
                    return {test.left.value: NONE}
            return {}
        if holds and isinstance(test, cst.Call) and len(test.args) == 2 and dotted(test.func) == "isinstance":
            subject = test.args[0].value
            if isinstance(subject, cst.Name) and "isinstance" not in frame.env:
                current = frame.env.get(subject.value)
                if current is not None and current.is_tensor:
                    return {}
                kind = self.isinstance_kind(test.args[1].value, frame)
                if kind is not None:
                    return {subject.value: Val(kind)}
        return {}

    def isinstance_kind(self, classes: cst.BaseExpression, frame: Frame) -> Optional[Kind]:
        """The kind ``isinstance(x, classes)`` proves, when every class names the same one."""
        nodes = [e.value for e in classes.elements] if isinstance(classes, cst.Tuple) else [classes]
        kinds = set()
        for node in nodes:
            name = dotted(node)
            meaning = self.resolver.meaning(name, frame) if name is not None else None
            kinds.add(effects.annotation(meaning.name) if isinstance(meaning, Qualified) else None)
        return kinds.pop() if len(kinds) == 1 else None

    def stmt_For(self, node: cst.For, frame: Frame) -> None:
        iterated = self.eval(node.iter, frame)
        refs = set(self.referenced_names(node.iter, frame)) | set(target_names(node.target))
        for name in target_names(node.target):
            frame.env[name] = None
        if isinstance(node.target, cst.Name):
            frame.env[node.target.value] = element(iterated)
        self.run_loop(node, frame, refs)

    def stmt_While(self, node: cst.While, frame: Frame) -> None:
        self.eval(node.test, frame)
        self.run_loop(node, frame, set())

    def stmt_With(self, node: cst.With, frame: Frame) -> None:
        for item in node.items:
            self.eval(item.item, frame)
            if item.asname is not None:
                for name in target_names(item.asname.name):
                    frame.env[name] = None
        self.run_block(node.body, frame)

    def stmt_Try(self, node: "cst.Try | cst.TryStar", frame: Frame) -> None:
        base = dict(frame.env)
        self.run_block(node.body, frame)
        if node.orelse is not None:
            self.run_block(node.orelse.body, frame)
        after_try = frame.env
        results = [after_try]
        for handler in node.handlers:
            frame.env = self.merge(base, [base, after_try])
            if handler.name is not None:
                for name in target_names(handler.name.name):
                    frame.env[name] = None
            self.run_block(handler.body, frame)
            results.append(frame.env)
        frame.env = self.merge(base, results)
        if node.finalbody is not None:
            self.run_block(node.finalbody.body, frame)

    stmt_TryStar = stmt_Try

    def stmt_Match(self, node: cst.Match, frame: Frame) -> None:
        self.run_branches([case.body for case in node.cases], frame, exhaustive=False)

    def stmt_FunctionDef(self, node: "cst.FunctionDef | cst.ClassDef", frame: Frame) -> None:
        frame.env[node.name.value] = None

    stmt_ClassDef = stmt_FunctionDef

    def run_branches(self, suites: Sequence[cst.BaseSuite], frame: Frame, exhaustive: bool) -> None:
        base = frame.env
        results: list[Env] = []
        for suite in suites:
            frame.env = dict(base)
            self.run_block(suite, frame)
            results.append(frame.env)
        if not exhaustive:
            results.append(base)
        frame.env = self.merge(base, results)

    def run_loop(self, node: "cst.For | cst.While", frame: Frame, refs: set[str]) -> None:
        base = dict(frame.env)
        frame.loop_refs.append(refs)
        try:
            self.run_block(node.body, frame)
        finally:
            frame.loop_refs.pop()
        after_body = frame.env
        if node.orelse is not None:
            self.run_block(node.orelse.body, frame)
        frame.env = self.merge(base, [after_body, base]) if node.orelse is None else self.merge(
            base, [frame.env, after_body])

    # --- small statements (``line``: the statement line holding them) ---------------------

    def stmt_Assign(self, node: cst.Assign, frame: Frame, line: cst.CSTNode) -> None:
        value = self.eval(node.value, frame)
        single = len(node.targets) == 1
        for target in node.targets:
            self.bind(target.target, node.value, value, frame, line, single)

    def stmt_AnnAssign(self, node: cst.AnnAssign, frame: Frame, line: cst.CSTNode) -> None:
        if node.value is not None:
            value = self.eval(node.value, frame)
            self.bind(node.target, node.value, value, frame, line, False)

    def stmt_AugAssign(self, node: cst.AugAssign, frame: Frame, line: cst.CSTNode) -> None:
        current = self.eval(node.target, frame)
        added = self.eval(node.value, frame)
        if (
            isinstance(node.operator, cst.AddAssign)
            and current is not None
            and current.container is Container.LIST
            and added is not None
            and added.kind is Kind.CONTAINER
        ):
            fill(current, "extend", [added])  # ``xs += ys`` extends the list itself
            return
        if isinstance(node.target, cst.Name):
            frame.env[node.target.value] = current if current is not None and current.is_tensor else None

    def stmt_Expr(self, node: cst.Expr, frame: Frame, line: cst.CSTNode) -> None:
        call = node.value
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in tn.DISCARDABLE_METHODS
            and self.self_attr(call.func, frame) is None
        ):
            # ``x.to(d)`` alone: what the receiver holds decides (see :func:`.effects.discards`).
            receiver = self.eval(call.func.value, frame)
            self.eval_args(call, frame)
            method = call.func.attr.value
            if receiver is not None and effects.discards(receiver.kind, method, bool(call.args)):
                self.on_discarded(frame, call, receiver, line)
            return
        self.eval(node.value, frame)

    def stmt_Return(self, node: cst.Return, frame: Frame, line: cst.CSTNode) -> None:
        frame.returns.append(self.eval(node.value, frame) if node.value is not None else NONE)

    def stmt_Del(self, node: cst.Del, frame: Frame, line: cst.CSTNode) -> None:
        self.run_del(node.target, frame)

    def run_del(self, target: cst.BaseExpression, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.env.pop(target.value, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.run_del(element.value, frame)
        else:
            attr = self.self_attr(target, frame)
            if attr is not None:
                self.on_self_delete(frame, attr)

    def bind(self, target: cst.BaseExpression, value_node: cst.BaseExpression, value: Optional[Val],
             frame: Frame, statement: cst.CSTNode, single: bool) -> None:
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            values = self.unpack(value_node, value, target)
            for element, (sub_node, sub_value) in zip(target.elements, values):
                self.bind(element.value, sub_node, sub_value, frame, statement, False)
            return
        attr = self.self_attr(target, frame)
        if attr is not None:
            assert isinstance(target, cst.Attribute)
            self.on_self_assign(frame, attr, target, value, statement, single, value_node)
        elif isinstance(target, cst.Attribute) and target.attr.value == tn.REQUIRES_GRAD_ATTRIBUTE:
            owner = self.eval(target.value, frame)
            if owner is not None and owner.kind is Kind.TENSOR:
                owner.trainable = is_true(value_node)
        elif isinstance(target, cst.Subscript):
            self.store_item(target, value, frame)

    @staticmethod
    def unpack(value_node: cst.BaseExpression, value: Optional[Val],
               target: "cst.Tuple | cst.List") -> list[tuple[cst.BaseExpression, Optional[Val]]]:
        """Pair each target of ``a, b = x`` with its value (see :func:`.values.items`); unknown
        for a starred target (``a, *rest = x``)."""
        count = len(target.elements)
        if any(isinstance(e, cst.StarredElement) for e in target.elements):
            return [(value_node, None)] * count
        if isinstance(value_node, (cst.Tuple, cst.List)) and len(value_node.elements) == count and not any(
            isinstance(e, cst.StarredElement) for e in value_node.elements
        ):
            assert value is not None and value.kind is Kind.CONTAINER
            return [(e.value, v) for e, v in zip(value_node.elements, value.elements)]
        return [(value_node, v) for v in items(value, count)]

    def store_item(self, target: cst.Subscript, value: Optional[Val], frame: Frame) -> None:
        """``xs[k] = value``: a dict or list filled item by item."""
        owner = self.eval(target.value, frame)
        if owner is not None:
            owner.repeated = None  # ``xs[i] = ...``: its items may be distinct objects now
        if owner is not None and owner.kind is Kind.CONTAINER and owner.container is Container.DICT:
            key = target.slice[0].slice if len(target.slice) == 1 else None
            if not (isinstance(key, cst.Index) and string_value(key.value) is not None):
                owner.str_keys = False
            owner.elements.append(value)


class _Expressions(_WalkerBase):
    """One handler per expression type, calls aside (:class:`Walker`)."""

    def expr_Name(self, node: cst.Name, frame: Frame) -> Optional[Val]:
        if node.value == "None":
            return NONE
        return frame.env.get(node.value)

    def expr_BinaryOperation(self, node: cst.BinaryOperation, frame: Frame) -> Optional[Val]:
        left = self.eval(node.left, frame)
        right = self.eval(node.right, frame)
        if isinstance(node.operator, (cst.Add, cst.Multiply)):
            joined = _joined(left, right, isinstance(node.operator, cst.Add))
            if joined is not None:
                if isinstance(node.operator, cst.Multiply) and not _at_most_once(node):
                    joined.repeated = _REPEATED_BY_PRODUCT
                return joined
        return _operator(left, right)

    def expr_UnaryOperation(self, node: cst.UnaryOperation, frame: Frame) -> Optional[Val]:
        operand = self.eval(node.expression, frame)
        return None if isinstance(node.operator, cst.Not) else _operator(operand)

    def expr_Comparison(self, node: cst.Comparison, frame: Frame) -> Optional[Val]:
        values = [self.eval(node.left, frame)] + [self.eval(c.comparator, frame) for c in node.comparisons]
        if all(isinstance(c.operator, _ORDERED) for c in node.comparisons):
            return _operator(*values)
        return None

    def expr_IfExp(self, node: cst.IfExp, frame: Frame) -> Optional[Val]:
        self.eval(node.test, frame)
        body = self.eval(node.body, frame)
        orelse = self.eval(node.orelse, frame)
        return either(body, orelse)

    def expr_Subscript(self, node: cst.Subscript, frame: Frame) -> Optional[Val]:
        owner = self.eval(node.value, frame)
        for part in node.slice:
            if isinstance(part.slice, cst.Index):
                self.eval(part.slice.value, frame)
        if owner is None or owner.kind not in effects.SUBSCRIPTED:
            return None
        if owner.is_tensor:
            return tensor(owner.trainable and owner.kind is Kind.TENSOR)
        index = node.slice[0].slice if len(node.slice) == 1 else None
        if isinstance(index, cst.Slice):
            if owner.container is Container.DICT or owner.container is None:
                return None
            return container(owner.container, list(owner.elements))
        if owner.exact and isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
            position = int(index.value.value, 0)
            return owner.elements[position] if position < len(owner.elements) else None
        item = element(owner)  # one of several items: a copy, so that registering it is not all of them
        return item.copy() if item is not None else None

    def expr_List(self, node: "cst.List | cst.Tuple | cst.Set", frame: Frame) -> Optional[Val]:
        elements: list[Optional[Val]] = []
        starred = False
        for item in node.elements:
            value = self.eval(item.value, frame)
            starred = starred or isinstance(item, cst.StarredElement)
            elements.append(None if isinstance(item, cst.StarredElement) else value)
        if isinstance(node, cst.Set):
            return None
        return container(Container.LIST if isinstance(node, cst.List) else Container.TUPLE, elements,
                         exact=not starred)

    expr_Tuple = expr_Set = expr_List

    def expr_Dict(self, node: cst.Dict, frame: Frame) -> Optional[Val]:
        elements: list[Optional[Val]] = []
        str_keys = True
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self.eval(element.key, frame)
                if string_value(element.key) is None:
                    str_keys = False
                elements.append(self.eval(element.value, frame))
            else:
                str_keys = False
                self.eval(element.value, frame)
        return container(Container.DICT, elements, str_keys)

    def expr_ListComp(self, node: "cst.ListComp | cst.GeneratorExp | cst.SetComp",
                      frame: Frame) -> Optional[Val]:
        element = self.eval_comprehension(node.elt, node.for_in, frame)
        if not isinstance(node, cst.ListComp):
            return None
        made = container(Container.LIST, [element])
        made.repeated = self.comprehension_repeats(node.elt, node.for_in, element, frame)
        return made

    def comprehension_repeats(self, element_node: cst.BaseExpression, for_in: cst.CompFor,
                              element: Optional[Val], frame: Frame) -> Optional[str]:
        """How a comprehension repeats one object (``[layer for _ in range(n)]``): its element is
        a name bound outside it, or ``self.<attr>``, so each item is that same object."""
        if element is None:
            return None
        if self.self_attr(element_node, frame) is not None:
            return _REPEATED_BY_COMPREHENSION
        if not isinstance(element_node, cst.Name):
            return None
        bound: set[str] = set()
        current: Optional[cst.CompFor] = for_in
        while current is not None:
            bound.update(target_names(current.target))
            current = current.inner_for_in
        return _REPEATED_BY_COMPREHENSION if element_node.value not in bound else None

    expr_GeneratorExp = expr_SetComp = expr_ListComp

    def expr_DictComp(self, node: cst.DictComp, frame: Frame) -> Optional[Val]:
        element = self.eval_comprehension(node.value, node.for_in, frame)
        return container(Container.DICT, [element], str_keys=False)

    def expr_NamedExpr(self, node: cst.NamedExpr, frame: Frame) -> Optional[Val]:
        value = self.eval(node.value, frame)
        if isinstance(node.target, cst.Name):
            frame.env[node.target.value] = value
        return value

    def expr_Await(self, node: cst.Await, frame: Frame) -> Optional[Val]:
        self.eval(node.expression, frame)
        return None

    def expr_BooleanOperation(self, node: cst.BooleanOperation, frame: Frame) -> Optional[Val]:
        self.eval(node.left, frame)
        self.eval(node.right, frame)
        return None

    def eval_comprehension(self, element: cst.BaseExpression, for_in: cst.CompFor,
                           frame: Frame) -> Optional[Val]:
        saved = frame.env
        frame.env = dict(saved)
        try:
            current: Optional[cst.CompFor] = for_in
            while current is not None:
                self.eval(current.iter, frame)
                for name in target_names(current.target):
                    frame.env[name] = None
                current = current.inner_for_in
            return self.eval(element, frame)
        finally:
            frame.env = saved

    def expr_Attribute(self, node: cst.Attribute, frame: Frame) -> Optional[Val]:
        attr = self.self_attr(node, frame)
        if attr is not None:
            return self.read_self(frame, attr)
        owner = self.eval(node.value, frame)
        if owner is not None and effects.attribute(owner.kind, node.attr.value) is not None:
            return tensor()
        return None


class Walker(_Statements, _Expressions):
    """Walks function bodies and evaluates expressions.  Subclasses override the ``on_*`` hooks;
    calls, whose effects come from :mod:`.effects`, are handled here."""

    def expr_Call(self, call: cst.Call, frame: Frame) -> Optional[Val]:
        func = call.func
        # self.method(...)
        if isinstance(func, cst.Attribute) and self.self_attr(func, frame) is not None:
            return self.on_self_method(frame, call, func.attr.value)
        name = dotted(func)
        if name is not None:
            meaning = self.resolver.meaning(name, frame)
            if meaning is not None:
                args = self.eval_args(call, frame)
                value = self.call_known(meaning, call, args)
                self.on_call(frame, call, value)
                return value
            if isinstance(func, cst.Name):
                local = frame.env.get(name)
                if local is not None and local.kind is Kind.CALLABLE:
                    args = self.eval_args(call, frame)
                    return self.call_known(local.target, call, args)  # type: ignore[arg-type]
                which = effects.CONTAINER_BUILTINS.get(name)
                if which is not None and name not in frame.env:
                    return self.call_builtin(which, call, frame)
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, frame)
            args = self.eval_args(call, frame)
            return self.call_method(receiver, func.attr.value, call, args)
        self.eval(func, frame)
        self.eval_args(call, frame)
        return None

    def call_known(self, meaning: Meaning, call: cst.Call, args: list[Optional[Val]]) -> Optional[Val]:
        if isinstance(meaning, Qualified):
            return self.call_qualified(meaning.name, call, args)
        if isinstance(meaning, ClassRef):
            if not meaning.is_module():
                return None
            consume(args)
            return Val(Kind.MODULE, made_by=meaning)
        result = self.resolver.returns(meaning)
        return result.copy() if result is not None else None

    def call_builtin(self, which: Container, call: cst.Call, frame: Frame) -> Optional[Val]:
        """``list(...)``, ``tuple(...)``, ``dict(...)``: a new container of what they are given."""
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            self.eval_args(call, frame)
            return None if call.args else container(which, [], exact=which is not Container.DICT)
        argument = call.args[0].value
        if isinstance(argument, (cst.GeneratorExp, cst.ListComp)):
            item = self.eval_comprehension(argument.elt, argument.for_in, frame)
            if which is Container.DICT:
                pair = items(item, 2) if isinstance(argument.elt, (cst.Tuple, cst.List)) else [None, None]
                return container(which, [pair[1]], str_keys=False)
            made = container(which, [item])
            made.repeated = self.comprehension_repeats(argument.elt, argument.for_in, item, frame)
            return made
        source = self.eval(argument, frame)
        if which is Container.DICT:
            if source is not None and source.kind is Kind.CONTAINER and source.container is Container.DICT:
                return container(which, list(source.elements), str_keys=source.str_keys)
            return None
        if source is not None and source.kind is Kind.CONTAINER and source.container is not Container.DICT:
            made = container(which, list(source.elements), exact=source.exact)
            made.repeated = source.repeated
            return made
        if source is not None and source.is_tensor:
            return container(which, [tensor()])
        return None

    def call_qualified(self, qualname: str, call: cst.Call, args: list[Optional[Val]]) -> Optional[Val]:
        effect = effects.call(qualname, self.resolver.module_bases)
        first = args[0] if args else None
        if effect is effects.Call.TENSOR:
            requires_grad = keyword(call, tn.REQUIRES_GRAD_KEYWORD)
            made = tensor(trainable=requires_grad is not None and is_true(requires_grad.value))
            made.float32 = self.makes_float32(qualname, call, first)
            return made
        if effect is effects.Call.TENSORS:
            return container(Container.TUPLE, [tensor()])
        if effect is effects.Call.TENSOR_OR_TENSORS:
            return _values_and_indices(call, positional=1)
        if effect is effects.Call.PARTIAL:
            function = dotted(call.args[0].value) if call.args else None
            target = self.resolver.meaning(function, _NO_LOCALS) if function is not None else None
            return Val(Kind.CALLABLE, target=target) if target is not None else None
        if effect is effects.Call.PARAMETER:
            return Val(Kind.PARAMETER, float32=first is not None and first.float32)
        if effect is effects.Call.FIRST_ARGUMENT:
            return first
        if effect is effects.Call.COPY_OF_FIRST_ARGUMENT:
            if first is not None and first.kind is not Kind.CONTAINER:
                return Val(first.kind, trainable=first.trainable, made_by=first.made_by)
            return None
        if effect is effects.Call.REPEAT:
            counted = len(args) > 1 or keyword(call, tn.REPEAT_COUNT_KEYWORD) is not None
            if not counted:
                return None  # ``repeat(x)`` repeats for ever: only a ``zip`` can use it
            repeated = container(Container.LIST, [first])
            repeated.repeated = qualname.rpartition(".")[2] + "(x, n)"
            return repeated
        if effect is effects.Call.MODULE:
            consume(args)
            return _module(qualname, args, call)
        kind = effect.kind if effect is not None else None
        return Val(kind) if kind is not None else None

    def call_method(self, receiver: Optional[Val], method: str, call: cst.Call,
                    args: list[Optional[Val]]) -> Optional[Val]:
        if receiver is None:
            return None
        effect = effects.method(receiver.kind, method, bool(call.args), receiver.container)
        if effect is None:
            return None
        if effect is effects.Method.FILLS:
            fill(receiver, method, args)
            return None
        if effect is effects.Method.SELF_TRAINABLE:
            if receiver.kind is Kind.TENSOR:
                receiver.trainable = not is_false(call.args[0].value if call.args else None)
            return receiver
        if effect is effects.Method.SELF:
            return receiver
        if effect is effects.Method.TENSORS:
            return container(Container.TUPLE, [tensor()])
        if effect is effects.Method.TENSOR_OR_TENSORS:
            return _values_and_indices(call, positional=0)
        if effect is effects.Method.CONVERTED and receiver.kind is Kind.PARAMETER:
            if receiver.float32 and method in tn.FLOAT32_CONVERSIONS:
                return receiver  # ``.float()`` of a float32 tensor is the tensor itself
            return Val(Kind.TENSOR, converted=method)
        if effect is effects.Method.DETACHED:
            return tensor()
        return tensor(receiver.trainable and receiver.kind is Kind.TENSOR)

    def makes_float32(self, qualname: str, call: cst.Call, first: Optional[Val]) -> bool:
        """Whether a factory call gives a float32 tensor: an explicit float32 ``dtype``, else a
        float32 factory (or a ``*_like`` of a float32 tensor) without one."""
        dtype = keyword(call, "dtype")
        if dtype is not None:
            name = dotted(dtype.value)
            meaning = self.resolver.meaning(name, _NO_LOCALS) if name is not None else None
            return isinstance(meaning, Qualified) and meaning.name in tn.FLOAT32_DTYPES
        if qualname.endswith("_like"):
            return first is not None and first.float32
        return qualname in tn.FLOAT32_FACTORIES


_NO_LOCALS = Frame({}, None, "", False)


def _callable_default(default: cst.BaseExpression, resolver: Signatures) -> Optional[Val]:
    """A default that is a tensor factory or a project function: calling the argument calls it."""
    name = dotted(default)
    meaning = resolver.lookup(name) if name is not None else None
    if isinstance(meaning, FunctionRef) or (
        isinstance(meaning, Qualified) and effects.call(meaning.name) is effects.Call.TENSOR
    ):
        return Val(Kind.CALLABLE, target=meaning)
    return None


def _operator(*operands: Optional[Val]) -> Optional[Val]:
    kind = effects.operator(*(v.kind if v is not None else None for v in operands))
    return tensor() if kind is not None else None


def _joined(left: Optional[Val], right: Optional[Val], add: bool) -> Optional[Val]:
    """``xs + ys`` (a new list or tuple of both lists' items) and ``[x] * n`` (of the same
    items, any number of times); ``None`` when neither operand is a list or a tuple."""
    sequences = [v for v in (left, right) if v is not None and v.kind is Kind.CONTAINER
                 and v.container is not Container.DICT]
    if not sequences:
        return None
    if add:
        if len(sequences) != 2:
            return None
        assert left is not None and right is not None
        joined = container(left.container, [*left.elements, *right.elements],  # type: ignore[arg-type]
                           exact=left.exact and right.exact)
        joined.repeated = left.repeated or right.repeated
        return joined
    return container(sequences[0].container, list(sequences[0].elements))  # type: ignore[arg-type]


#: How a list or tuple repeats one object (:attr:`.values.Val.repeated`).
_REPEATED_BY_PRODUCT = "[x] * n"
_REPEATED_BY_COMPREHENSION = "[x for _ in ...] over one x"


def _at_most_once(node: cst.BinaryOperation) -> bool:
    """``[x] * 1`` (or ``0``): a product that does not repeat anything."""
    for factor in (node.left, node.right):
        if isinstance(factor, cst.Integer) and int(factor.value, 0) <= 1:
            return True
    return False


def _module(qualname: str, args: list[Optional[Val]], call: cst.Call) -> Val:
    """A Module of the class ``qualname``; ``nn.ModuleList(xs)`` and ``nn.Sequential(*xs)`` of a
    list repeating one object hold that object several times; a norm layer holds what its
    keywords say (:data:`.torch_names.STATE_KEYWORDS`)."""
    made = Val(Kind.MODULE, made_by=qualname)
    layer = tn.torch_layer_name(qualname)
    keywords = tn.STATE_KEYWORDS.get(layer or "")
    if keywords is not None and layer is not None:
        switches: dict[str, Optional[bool]] = {}
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args) or len(positional) > tn.STATE_KEYWORDS_AFTER.get(layer, 1):
            switches["*"] = None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in keywords:
                literal = True if is_true(arg.value) else False if is_false(arg.value) else None
                switches[arg.keyword.value] = literal
        holds = effects.module_holds(qualname, switches)
        made.holds = holds if holds is not None else UNKNOWN_HOLDS
    if layer in tn.MODULE_SEQUENCES and qualname.startswith("torch.nn."):
        for value in args:
            if value is not None and value.kind is Kind.CONTAINER and value.repeated:
                made.repeated = value.repeated
                made.elements = list(value.leaves())
                break
    return made


def element(value: Optional[Val]) -> Optional[Val]:
    """What iterating over ``value`` (or an unknown index into it) gives: the element every item
    of a list, tuple or dict's values shares, or a tensor's rows."""
    if value is None:
        return None
    if value.is_tensor:
        return tensor(value.trainable and value.kind is Kind.TENSOR)
    if value.kind is not Kind.CONTAINER or not value.elements:
        return None
    if len(value.elements) == 1:
        return value.elements[0]
    return join_all(value.elements)


def _values_and_indices(call: cst.Call, positional: int) -> Optional[Val]:
    """``torch.max(t)`` is a tensor, ``torch.max(t, 1)`` / ``t.max(dim=1)`` a tuple (values,
    indices); ``torch.max(a, b)`` (another tensor) is a tensor too, and unknown here."""
    given = [a for a in call.args if a.keyword is None and not a.star]
    if keyword(call, tn.DIM_KEYWORD) is not None or (
        len(given) > positional and isinstance(given[positional].value, cst.Integer)
    ):
        return container(Container.TUPLE, [tensor(), tensor()], exact=True)
    if len(given) == positional and len(call.args) == positional:
        return tensor()
    return None


def consume(args: Iterable[Optional[Val]]) -> None:
    """Values handed to a Module constructor are registered through it."""
    for value in args:
        if value is None:
            continue
        if value.kind is Kind.CONTAINER:
            value.consumed = True
            for leaf in value.leaves():
                leaf.registered = True
        else:
            value.registered = True


def fill(receiver: Val, method: str, args: list[Optional[Val]]) -> None:
    """``xs.append(v)``, ``xs.extend(ys)``, ``d.update(e)``: what a container is given."""
    if receiver.container is Container.LIST:
        if method == "extend" and args and args[-1] is not None and args[-1].kind is Kind.CONTAINER:
            receiver.elements.extend(args[-1].elements)
        elif args:
            receiver.elements.append(args[-1])
        return
    first = args[0] if args else None
    receiver.str_keys = receiver.str_keys and method == "update" and first is not None
    if first is not None and first.kind is Kind.CONTAINER:
        receiver.elements.extend(first.elements)
