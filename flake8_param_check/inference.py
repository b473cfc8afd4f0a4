"""Tensor inference: what kind of value a libcst expression holds.

A :class:`Walker` runs through a function body statement by statement, in order, keeping what each
local name holds (flow-sensitively: a branch that may not run makes a name unknown unless every
path agrees).  Expressions evaluate to a :class:`Val` (a tensor, a Parameter, a buffer, a Module
instance or a plain container of those) or to ``None``: unknown, which is never reported.

Subclasses hook into assignments to ``self.<attr>`` and calls on ``self``; the class checker in
:mod:`.checker` is one.  What names *mean* (which calls make tensors, which classes are Modules)
comes from the :class:`Resolver` the walker is given, and through it from :mod:`.torch_names`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import libcst as cst

from . import torch_names as tn

if TYPE_CHECKING:  # pragma: no cover
    from .context import Resolver

TENSOR = "tensor"
PARAMETER = "parameter"
BUFFER = "buffer"
MODULE = "module"
CONTAINER = "container"

TENSOR_LIKE = (TENSOR, PARAMETER, BUFFER)


class Budget(Exception):
    """Raised when one file has used up its evaluation budget (see :data:`MAX_STEPS`)."""


#: The most expressions and statements one file may evaluate.  Real files use a few thousand;
#: the bound only stops pathological inputs (generated code, deep helper chains) from hanging.
MAX_STEPS = 200_000


class Val:
    """What an expression holds.  Identity matters: ``x = nn.Linear(...)`` then ``self.a = x``
    and ``self.b = [x]`` share one Val, so the list's element is known to be registered."""

    __slots__ = ("kind", "trainable", "converted", "registered", "container", "elements", "str_keys", "consumed")

    def __init__(
        self,
        kind: str,
        *,
        trainable: bool = False,
        converted: str | None = None,
        container: str | None = None,
        elements: list["Val | None"] | None = None,
        str_keys: bool = True,
    ) -> None:
        self.kind = kind
        self.trainable = trainable  #: requires_grad=True on a raw tensor
        self.converted = converted  #: ``nn.Parameter(...).<converted>()``: TPC005
        self.registered = False  #: the object is also registered on the Module another way
        self.container = container  #: "list", "tuple" or "dict" for CONTAINER
        self.elements = elements if elements is not None else []
        self.str_keys = str_keys  #: every key of a dict literal is a string literal
        self.consumed = False  #: the container was handed to a Module (nn.Sequential(*xs))

    def copy(self) -> "Val":
        other = Val(self.kind, trainable=self.trainable, converted=self.converted, container=self.container,
                    elements=list(self.elements), str_keys=self.str_keys)
        return other

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        extra = " trainable" if self.trainable else ""
        extra += f" converted={self.converted}" if self.converted else ""
        extra += f" {self.container}{self.elements}" if self.kind == CONTAINER else ""
        return f"<{self.kind}{extra}>"

    def leaves(self, depth: int = 0) -> Iterator["Val"]:
        """The non-container values inside a container (nested containers flattened)."""
        for element in self.elements:
            if element is None:
                continue
            if element.kind == CONTAINER and depth < 8:
                yield from element.leaves(depth + 1)
            else:
                yield element


def tensor(trainable: bool = False) -> Val:
    return Val(TENSOR, trainable=trainable)


def join(a: Val | None, b: Val | None) -> Val | None:
    """What a name holds after two paths meet: known only when both paths agree."""
    if a is b:
        return a
    if a is None or b is None or a.kind != b.kind or a.kind == CONTAINER:
        return None
    merged = Val(a.kind, trainable=a.trainable and b.trainable,
                 converted=a.converted if a.converted == b.converted else None)
    merged.registered = a.registered and b.registered
    return merged


Env = dict  # name -> Val | None


def merge_envs(base: Env, branches: Sequence[Env]) -> Env:
    """The environment after branches that each started from ``base``.  (Callers charge the
    work to the budget: :meth:`Walker.merge`.)"""
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


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_false(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        return value if isinstance(value, str) else None
    return None


def target_names(node: cst.BaseExpression) -> Iterator[str]:
    """Every plain name a ``for``/``with``/comprehension target binds."""
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from target_names(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from target_names(node.value)


class Frame:
    """One function being walked: its locals and where it stands."""

    __slots__ = ("env", "self_name", "method", "in_init", "loop_refs", "returns")

    def __init__(self, env: Env, self_name: str | None, method: str, in_init: bool) -> None:
        self.env = env
        self.self_name = self_name
        self.method = method
        self.in_init = in_init
        self.loop_refs: list[set[str]] = []  #: names each enclosing ``for`` loop iterates over
        self.returns: list[Val | None] = []


class Walker:
    """Walks function bodies and evaluates expressions.  Subclasses override the ``on_*`` hooks."""

    def __init__(self, resolver: "Resolver") -> None:
        self.resolver = resolver
        self.block_path: list[int] = []

    # --- hooks -----------------------------------------------------------------------------

    def on_self_assign(self, frame: Frame, attr: str, target: cst.Attribute, value: Val | None,
                       statement: cst.CSTNode, single: bool) -> None:
        """``self.<attr> = value``.  ``single``: the statement assigns only this target."""

    def on_self_delete(self, frame: Frame, attr: str) -> None:
        """``del self.<attr>``."""

    def on_self_method(self, frame: Frame, call: cst.Call, method: str) -> Val | None:
        """``self.<method>(...)``: a call on the Module itself.  Returns what it gives."""
        return None

    def read_self(self, frame: Frame, attr: str) -> Val | None:
        """What ``self.<attr>`` holds, as far as is known."""
        return None

    # --- statements ------------------------------------------------------------------------

    def merge(self, base: Env, branches: Sequence[Env]) -> Env:
        """:func:`merge_envs`, charged to the budget by the number of names it joins."""
        self.resolver.step(sum(len(env) for env in branches))
        return merge_envs(base, branches)

    def run_function(self, function: cst.FunctionDef, frame: Frame) -> Val | None:
        """Walk ``function``'s body in ``frame``; the join of its ``return`` values."""
        self.run_block(function.body, frame)
        if not frame.returns:
            return None
        result = frame.returns[0]
        for value in frame.returns[1:]:
            result = join(result, value)
        return result

    def run_block(self, suite: cst.BaseSuite, frame: Frame) -> None:
        self.block_path.append(id(suite))
        try:
            for statement in suite.body:
                self.run_statement(statement, frame)
        finally:
            self.block_path.pop()

    def run_statement(self, node: cst.CSTNode, frame: Frame) -> None:
        self.resolver.step()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.run_small(small, frame, node)
        elif isinstance(node, cst.If):
            self.run_if(node, frame)
        elif isinstance(node, (cst.For, cst.While)):
            self.run_loop(node, frame)
        elif isinstance(node, cst.With):
            for item in node.items:
                self.eval(item.item, frame)
                if item.asname is not None:
                    for name in target_names(item.asname.name):
                        frame.env[name] = None
            self.run_block(node.body, frame)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self.run_try(node, frame)
        elif isinstance(node, cst.Match):
            self.run_branches([case.body for case in node.cases], frame, exhaustive=False)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            frame.env[node.name.value] = None

    def run_small(self, node: cst.CSTNode, frame: Frame, line: cst.CSTNode) -> None:
        if isinstance(node, cst.Assign):
            value = self.eval(node.value, frame)
            single = len(node.targets) == 1
            for target in node.targets:
                self.bind(target.target, node.value, value, frame, line, single)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                value = self.eval(node.value, frame)
                self.bind(node.target, node.value, value, frame, line, False)
        elif isinstance(node, cst.AugAssign):
            current = self.eval(node.target, frame)
            self.eval(node.value, frame)
            if isinstance(node.target, cst.Name):
                frame.env[node.target.value] = current if current is not None and current.kind in TENSOR_LIKE else None
        elif isinstance(node, cst.Expr):
            self.eval(node.value, frame)
        elif isinstance(node, cst.Return):
            frame.returns.append(self.eval(node.value, frame) if node.value is not None else None)
        elif isinstance(node, cst.Del):
            self.run_del(node.target, frame)

    def run_del(self, target: cst.BaseExpression, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            frame.env.pop(target.value, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.run_del(element.value, frame)
        elif self.self_attr(target, frame) is not None:
            self.on_self_delete(frame, self.self_attr(target, frame) or "")

    def run_if(self, node: cst.If, frame: Frame) -> None:
        self.eval(node.test, frame)
        suites: list[cst.BaseSuite] = [node.body]
        orelse = node.orelse
        exhaustive = False
        while orelse is not None:
            if isinstance(orelse, cst.Else):
                suites.append(orelse.body)
                exhaustive = True
                break
            self.eval(orelse.test, frame)
            suites.append(orelse.body)
            orelse = orelse.orelse
        self.run_branches(suites, frame, exhaustive)

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

    def run_loop(self, node: cst.For | cst.While, frame: Frame) -> None:
        refs: set[str] = set()
        if isinstance(node, cst.For):
            self.eval(node.iter, frame)
            refs = set(self.referenced_names(node.iter, frame)) | set(target_names(node.target))
            for name in target_names(node.target):
                frame.env[name] = None
        else:
            self.eval(node.test, frame)
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

    def run_try(self, node: cst.Try | cst.TryStar, frame: Frame) -> None:
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

    def bind(self, target: cst.BaseExpression, value_node: cst.BaseExpression, value: Val | None,
             frame: Frame, statement: cst.CSTNode, single: bool) -> None:
        if isinstance(target, cst.Name):
            frame.env[target.value] = value
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            values = self.unpack(value_node, value, len(target.elements), frame)
            for element, (sub_node, sub_value) in zip(target.elements, values):
                self.bind(element.value, sub_node, sub_value, frame, statement, False)
            return
        attr = self.self_attr(target, frame)
        if attr is not None:
            assert isinstance(target, cst.Attribute)
            self.on_self_assign(frame, attr, target, value, statement, single)
        elif isinstance(target, cst.Attribute) and target.attr.value == "requires_grad":
            owner = self.eval(target.value, frame)
            if owner is not None and owner.kind == TENSOR:
                owner.trainable = is_true(value_node)
        elif isinstance(target, cst.Subscript):
            self.store_item(target, value, frame)

    def unpack(self, value_node: cst.BaseExpression, value: Val | None, count: int,
               frame: Frame) -> list[tuple[cst.BaseExpression, Val | None]]:
        """Pair each target of ``a, b = x, y`` with its value; unknown when the shapes differ."""
        if isinstance(value_node, (cst.Tuple, cst.List)) and len(value_node.elements) == count and not any(
            isinstance(e, cst.StarredElement) for e in value_node.elements
        ):
            assert value is not None and value.kind == CONTAINER
            return [(e.value, v) for e, v in zip(value_node.elements, value.elements)]
        return [(value_node, None)] * count

    def store_item(self, target: cst.Subscript, value: Val | None, frame: Frame) -> None:
        """``xs[k] = value``: a dict or list filled item by item."""
        owner = self.eval(target.value, frame)
        if owner is not None and owner.kind == CONTAINER and owner.container == "dict":
            key = target.slice[0].slice if len(target.slice) == 1 else None
            if not (isinstance(key, cst.Index) and string_value(key.value) is not None):
                owner.str_keys = False
            owner.elements.append(value)

    def self_attr(self, node: cst.BaseExpression, frame: Frame) -> str | None:
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

    # --- expressions -----------------------------------------------------------------------

    def eval(self, node: cst.BaseExpression, frame: Frame) -> Val | None:
        self.resolver.step()
        if isinstance(node, cst.Name):
            return frame.env.get(node.value)
        if isinstance(node, cst.Call):
            return self.eval_call(node, frame)
        if isinstance(node, cst.Attribute):
            return self.eval_attribute(node, frame)
        if isinstance(node, cst.BinaryOperation):
            left = self.eval(node.left, frame)
            right = self.eval(node.right, frame)
            return self.arithmetic(left, right)
        if isinstance(node, cst.UnaryOperation):
            operand = self.eval(node.expression, frame)
            if operand is not None and operand.kind in TENSOR_LIKE and not isinstance(node.operator, cst.Not):
                return tensor()
            return None
        if isinstance(node, cst.Comparison):
            left = self.eval(node.left, frame)
            rights = [self.eval(c.comparator, frame) for c in node.comparisons]
            ordered = all(
                isinstance(c.operator, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual))
                for c in node.comparisons
            )
            if ordered and any(v is not None and v.kind in TENSOR_LIKE for v in [left, *rights]):
                return tensor()
            return None
        if isinstance(node, cst.IfExp):
            self.eval(node.test, frame)
            body = self.eval(node.body, frame)
            orelse = self.eval(node.orelse, frame)
            return self.either(body, orelse)
        if isinstance(node, cst.Subscript):
            return self.eval_subscript(node, frame)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return self.eval_sequence(node, frame)
        if isinstance(node, cst.Dict):
            return self.eval_dict(node, frame)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
            element = self.eval_comprehension(node.elt, node.for_in, frame)
            if isinstance(node, cst.ListComp):
                return Val(CONTAINER, container="list", elements=[element])
            return None
        if isinstance(node, cst.DictComp):
            element = self.eval_comprehension(node.value, node.for_in, frame)
            return Val(CONTAINER, container="dict", elements=[element], str_keys=False)
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, frame)
            if isinstance(node.target, cst.Name):
                frame.env[node.target.value] = value
            return value
        if isinstance(node, cst.Await):
            self.eval(node.expression, frame)
            return None
        if isinstance(node, cst.BooleanOperation):
            self.eval(node.left, frame)
            self.eval(node.right, frame)
            return None
        return None

    @staticmethod
    def arithmetic(left: Val | None, right: Val | None) -> Val | None:
        for operand in (left, right):
            if operand is not None and operand.kind in TENSOR_LIKE:
                return tensor()
        return None

    @staticmethod
    def either(body: Val | None, orelse: Val | None) -> Val | None:
        """``a if c else b``.  One unknown (or ``None``) branch keeps the other's kind: an optional
        Parameter is a Parameter.  Two different kinds with a plain tensor among them give a
        tensor: that path stores an unregistered one."""
        branches = [v for v in (body, orelse) if v is not None]
        if not branches or any(v.kind == CONTAINER for v in branches):
            return None
        if len(branches) == 1 or branches[0].kind == branches[1].kind:
            merged = branches[0] if len(branches) == 1 else join(branches[0], branches[1])
            return Val(branches[0].kind, trainable=branches[0].trainable) if merged is None else merged
        plain = [v for v in branches if v.kind == TENSOR]
        return tensor(all(v.trainable for v in plain)) if plain else None

    def eval_sequence(self, node: cst.List | cst.Tuple | cst.Set, frame: Frame) -> Val | None:
        elements: list[Val | None] = []
        for element in node.elements:
            value = self.eval(element.value, frame)
            if isinstance(element, cst.StarredElement):
                value = None
            elements.append(value)
        if isinstance(node, cst.Set):
            return None
        return Val(CONTAINER, container="list" if isinstance(node, cst.List) else "tuple", elements=elements)

    def eval_dict(self, node: cst.Dict, frame: Frame) -> Val:
        elements: list[Val | None] = []
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
        return Val(CONTAINER, container="dict", elements=elements, str_keys=str_keys)

    def eval_comprehension(self, element: cst.BaseExpression, for_in: cst.CompFor, frame: Frame) -> Val | None:
        saved = frame.env
        frame.env = dict(saved)
        try:
            current: cst.CompFor | None = for_in
            while current is not None:
                self.eval(current.iter, frame)
                for name in target_names(current.target):
                    frame.env[name] = None
                current = current.inner_for_in
            return self.eval(element, frame)
        finally:
            frame.env = saved

    def eval_subscript(self, node: cst.Subscript, frame: Frame) -> Val | None:
        owner = self.eval(node.value, frame)
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                self.eval(element.slice.value, frame)
        if owner is not None and owner.kind in TENSOR_LIKE:
            return tensor(owner.trainable and owner.kind == TENSOR)
        return None

    def eval_attribute(self, node: cst.Attribute, frame: Frame) -> Val | None:
        attr = self.self_attr(node, frame)
        if attr is not None:
            return self.read_self(frame, attr)
        owner = self.eval(node.value, frame)
        if owner is not None and owner.kind in TENSOR_LIKE and node.attr.value in tn.TENSOR_PROPERTIES:
            return tensor()
        return None

    def eval_args(self, call: cst.Call, frame: Frame) -> list[Val | None]:
        """Evaluate the arguments (walrus and nested calls have effects); positional values."""
        values: list[Val | None] = []
        for arg in call.args:
            value = self.eval(arg.value, frame)
            if arg.keyword is None and not arg.star:
                values.append(value)
            elif arg.star and value is not None and value.kind == CONTAINER:
                values.append(value)
        return values

    def eval_call(self, call: cst.Call, frame: Frame) -> Val | None:
        func = call.func
        # self.method(...)
        if isinstance(func, cst.Attribute) and self.self_attr(func, frame) is not None:
            return self.on_self_method(frame, call, func.attr.value)
        name = dotted(func)
        if name is not None:
            meaning = self.resolver.meaning(name, frame)
            if meaning is not None:
                args = self.eval_args(call, frame)
                return self.call_known(meaning, call, args, frame)
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, frame)
            args = self.eval_args(call, frame)
            return self.call_method(receiver, func.attr.value, call, args)
        self.eval(func, frame)
        self.eval_args(call, frame)
        return None

    def call_known(self, meaning: "Meaning", call: cst.Call, args: list[Val | None], frame: Frame) -> Val | None:
        kind, payload = meaning
        if kind == "qualified":
            return self.call_qualified(payload, call, args)
        if kind == "class" and payload.is_module():
            self.consume(args)
            return Val(MODULE)
        if kind == "function":
            result = self.resolver.returns(payload)
            return result.copy() if result is not None else None
        return None

    def consume(self, args: Iterable[Val | None]) -> None:
        """Values handed to a Module constructor are registered through it."""
        for value in args:
            if value is None:
                continue
            if value.kind == CONTAINER:
                value.consumed = True
                for leaf in value.leaves():
                    leaf.registered = True
            else:
                value.registered = True

    def call_qualified(self, qualname: str, call: cst.Call, args: list[Val | None]) -> Val | None:
        if qualname in tn.TENSOR_FUNCTIONS or qualname in tn.TENSOR_CLASSES:
            requires_grad = keyword(call, "requires_grad")
            return tensor(trainable=requires_grad is not None and is_true(requires_grad.value))
        if qualname in tn.PARAMETER_CLASSES:
            return Val(PARAMETER)
        if qualname in tn.BUFFER_CLASSES:
            return Val(BUFFER)
        if qualname in tn.VARIABLE_CLASSES:
            requires_grad = keyword(call, "requires_grad")
            return tensor(trainable=requires_grad is not None and is_true(requires_grad.value))
        if qualname.startswith(tn.INIT_PREFIXES):
            return args[0] if args else None
        if qualname in tn.COPY_FUNCTIONS:
            source = args[0] if args else None
            if source is not None and source.kind != CONTAINER:
                return Val(source.kind, trainable=source.trainable)
            return None
        if self.resolver.is_module_qualname(qualname):
            self.consume(args)
            return Val(MODULE)
        return None

    def call_method(self, receiver: Val | None, method: str, call: cst.Call, args: list[Val | None]) -> Val | None:
        if receiver is None:
            return None
        if receiver.kind == MODULE:
            return receiver if method in tn.MODULE_SELF_METHODS else None
        if receiver.kind == CONTAINER:
            if method in ("append", "extend", "insert") and receiver.container == "list":
                if method == "extend" and args and args[-1] is not None and args[-1].kind == CONTAINER:
                    receiver.elements.extend(args[-1].elements)
                elif args:
                    receiver.elements.append(args[-1])
            elif method in ("update", "setdefault") and receiver.container == "dict":
                receiver.str_keys = receiver.str_keys and method == "update" and bool(args) and args[0] is not None
                if args and args[0] is not None and args[0].kind == CONTAINER:
                    receiver.elements.extend(args[0].elements)
            return None
        if receiver.kind not in TENSOR_LIKE or not tn.method_may_give_tensor(method):
            return None
        if method == "requires_grad_":
            flag = call.args[0].value if call.args else None
            if receiver.kind == TENSOR:
                receiver.trainable = not is_false(flag)
            return receiver
        if tn.is_inplace_method(method):
            return receiver
        if method == "type" and not call.args:
            return None  # ``x.type()`` is the type's name, a str
        if method in tn.CONVERSION_METHODS:
            if receiver.kind == PARAMETER:
                return Val(TENSOR, converted=method)
            return tensor(receiver.trainable and receiver.kind == TENSOR)
        if method == "detach":
            return tensor()
        if method in tn.TENSOR_METHODS:
            return tensor(receiver.trainable and receiver.kind == TENSOR)
        return None


#: What a name means: ("qualified", "torch.zeros"), ("class", ClassRef) or ("function",
#: FunctionRef); see ``FileContext.lookup``.
Meaning = tuple
