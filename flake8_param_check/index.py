"""A cheap outline of one file, read from its ``ast``: imports, classes, functions and where they are.

This is what the analysis knows before it parses anything with libcst: which classes exist, what
they inherit from, which module-level functions exist and the lines each spans.  Only statements
are walked (classes, functions and imports are always statements), never expressions.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .effects import ANY_FILL_METHOD
from .torch_names import DISCARDABLE_METHODS, REQUIRES_GRAD_ATTRIBUTE, REQUIRES_GRAD_METHOD
from .imports import ImportTable, dotted_name

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCK_FIELDS = ("body", "orelse", "finalbody")
#: Statements that hold blocks of statements (definitions aside); ``match`` and ``try ... except*``
#: where this Python has them.
_COMPOUND = tuple(
    getattr(ast, name)
    for name in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar", "Match")
    if hasattr(ast, name)
)


class Span(NamedTuple):
    """Lines ``start``..``end`` (1-based, inclusive) of a definition indented by ``indent`` columns.
    A tuple of ints, which the garbage collector stops tracking: outlines kept for a whole run
    then add little to its full passes."""

    start: int
    end: int
    indent: int

    @classmethod
    def of(cls, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> "Span":
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        return cls(start, node.end_lineno or node.lineno, node.col_offset)


#: (self_assigns, local_values, return_values, fills, narrowed, made_trainable, discards): see
#: FunctionInfo
_Notes = tuple


class _Reloadable:
    """A definition whose ``ast`` node the outline may drop (:meth:`FileIndex.release`) and
    read again from its lines when asked."""

    _node: ast.AST | None
    span: Span
    index: "FileIndex | None"

    @property
    def node(self) -> Any:
        """The definition's ``ast`` node, read again from the lines if it was released."""
        if self._node is None and self.index is not None:
            self._node = self.index.reload(self.span, self._placeholder)
        return self._node

    _placeholder = ""


@dataclass
class FunctionInfo(_Reloadable):
    name: str
    _node: ast.FunctionDef | ast.AsyncFunctionDef | None
    span: Span
    owner: "ClassInfo | None" = None
    index: "FileIndex | None" = field(default=None, repr=False)
    #: For methods: every ``self.<attr> = value`` as (target, value), and the names the body
    #: assigns, gathered by the same statement walk (what :mod:`.gate` looks at).
    self_name: str | None = None  #: the first parameter of a method
    tensor_args: "dict[str, frozenset[Any]] | None" = None  #: filled by :func:`.gate.tensor_arguments`
    _notes: "_Notes | None" = None
    _discards: "list[ast.Call] | None" = None

    def __post_init__(self) -> None:
        args = self.node.args
        params = [*args.posonlyargs, *args.args]
        if params and self.owner is not None:
            self.self_name = params[0].arg

    @property
    def self_assigns(self) -> list[tuple[ast.Attribute, ast.expr]]:
        """Every ``self.<attr> = value`` of the body (nested blocks included) as (target, value)."""
        return self._noted()[0]

    @property
    def local_values(self) -> dict[str, list[ast.expr | None]]:
        """Local name -> the values assigned to it (``None``: bound by for/with/except)."""
        return self._noted()[1]

    @property
    def return_values(self) -> list[ast.expr]:
        """The values of its ``return`` statements."""
        return self._noted()[2]

    @property
    def made_trainable(self) -> set[str]:
        """Attributes the body makes trainable: ``self.x.requires_grad = True``,
        ``self.x.requires_grad_()``."""
        return self._noted()[5]

    @property
    def narrowed(self) -> set[str]:
        """Names an ``isinstance`` test (``if``, ``while``, ``assert``) may make a tensor."""
        return self._noted()[4]

    @property
    def fills(self) -> dict[str, list[ast.expr]]:
        """What the body adds to containers: ``xs.append(v)``, ``xs.extend(v)``, ``xs[k] = v``,
        ``xs += v``, keyed by ``xs`` (a local) or ``self.xs``."""
        return self._noted()[3]

    @property
    def discards(self) -> list[ast.Call]:
        """The expression statements that call a method which only returns a new tensor
        (``x.to(d)`` alone on its line): their calls.  Taken from the other notes when they are
        made already (the gate makes them for the methods of Module classes), else found by a
        walk of the statements alone (it is asked of every function of a file)."""
        if self._discards is None:
            if self._notes is not None:
                self._discards = self._notes[6]
            else:
                self._discards = []
                _note_discards(self.node.body, self._discards)
        return self._discards

    def noted_discards(self) -> list[ast.Call]:
        """:attr:`discards`, made with the other notes (for a method whose notes are wanted)."""
        return self._noted()[6]

    def _noted(self) -> "_Notes":
        if self._notes is None:
            self._notes = ([], {}, [], {}, set(), set(), [])
            _note_block(self.node.body, self)
        return self._notes

    @property
    def decorators(self) -> set[str]:
        return {dotted_name(d) or "" for d in self.node.decorator_list}

    _placeholder = "def _():\n    pass\n"


@dataclass
class ClassInfo(_Reloadable):
    name: str
    qualname: str
    _node: ast.ClassDef | None
    span: Span
    scope: str  #: qualname of the enclosing class or function, "" at module level
    bases: list[str]  #: dotted base expressions as written (``nn.Module``); others are skipped
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    index: "FileIndex | None" = field(default=None, repr=False)

    _placeholder = "class _:\n    pass\n"


class FileIndex:
    """Outline of one file.  ``package`` is the dotted package the file belongs to, if known."""

    def __init__(self, tree: ast.Module, lines: list[str], package: str | None = None, deep: bool = True,
                 module: str | None = None) -> None:
        self.lines: "list[str] | tuple[str, ...]" = lines
        self.package = package
        self.module = module  #: the file's dotted module name, if known
        #: Also look inside function bodies (for local classes and imports).  A file that does
        #: not mention torch can only hold Modules through project base classes, which are
        #: defined at class level; walking its function bodies would cost without finding any.
        self.deep = deep
        self.classes: list[ClassInfo] = []
        self.functions: dict[str, FunctionInfo] = {}
        self._import_nodes: list[ast.stmt] = []
        self._walk(tree.body, scope="", owner=None)
        self.classes_by_name: dict[str, list[ClassInfo]] = {}
        for info in self.classes:
            self.classes_by_name.setdefault(info.name, []).append(info)
        self.imports = ImportTable.from_nodes(self._import_nodes, package, tree)
        self.imports.local_names = frozenset(self.classes_by_name) | frozenset(self.functions)
        del self._import_nodes

    def _walk(self, body: list[ast.stmt], scope: str, owner: ClassInfo | None) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import_nodes.append(node)
            elif isinstance(node, ast.ClassDef):
                qualname = f"{scope}.{node.name}" if scope else node.name
                bases = [b for b in (_base_name(e) for e in node.bases) if b]
                info = ClassInfo(node.name, qualname, node, Span.of(node), scope, bases, index=self)
                self.classes.append(info)
                self._walk(node.body, qualname, info)
            elif isinstance(node, _FUNCTIONS):
                function = FunctionInfo(node.name, node, Span.of(node), owner, index=self)
                if owner is not None:
                    owner.methods.setdefault(node.name, function)
                elif not scope:
                    self.functions.setdefault(node.name, function)
                if self.deep:
                    inner = f"{scope}.{node.name}" if scope else node.name
                    self._walk(node.body, f"{inner}.<locals>", None)
            else:
                for block in _blocks(node):
                    self._walk(block, scope, owner)

    def find_class(self, name: str, scope: str = "") -> ClassInfo | None:
        """The class called ``name`` visible from ``scope``: the innermost enclosing definition."""
        candidates = self.classes_by_name.get(name)
        if not candidates:
            return None
        best: ClassInfo | None = None
        for info in candidates:
            if scope == info.scope or scope.startswith(info.scope + ".") or not info.scope:
                if best is None or len(info.scope) > len(best.scope):
                    best = info
        return best

    def release(self) -> None:
        """Drop the ``ast`` of every definition (a file kept only to answer other files'
        questions): a long run then holds outlines, not trees, which also keeps the garbage
        collector's full passes cheap.  Nodes are read again from the lines when asked."""
        self.lines = tuple(self.lines)  # a tuple of str is not tracked by the collector
        for info in self.classes:
            info._node = None
            for method in info.methods.values():
                method._node = method._notes = method._discards = None
        for function in self.functions.values():
            function._node = function._notes = function._discards = None

    def reload(self, span: Span, placeholder: str) -> ast.AST:
        """The definition at ``span`` parsed again from the lines (``placeholder`` if it fails)."""
        text, _ = self.segment(span)
        try:
            node = ast.parse(text).body[0]
            if isinstance(node, ast.If):  # the ``if 1:`` wrapper of an indented definition
                node = node.body[0]
        except (SyntaxError, ValueError, IndexError, RecursionError, MemoryError):
            node = ast.parse(placeholder).body[0]
        return node

    def segment(self, span: Span) -> tuple[str, int]:
        """Source text of ``span`` that libcst can parse on its own, and the line offset to add
        to its line numbers.  An indented definition is put under ``if 1:`` so that its columns
        stay those of the file."""
        text = "".join(self.lines[span.start - 1 : span.end])
        if span.indent == 0:
            return text, span.start - 1
        return "if 1:\n" + text, span.start - 2


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested in a compound statement (not in a def or class)."""
    if not isinstance(node, _COMPOUND):
        return []
    blocks = [block for block in (getattr(node, name, None) for name in _BLOCK_FIELDS) if block]
    blocks.extend(handler.body for handler in getattr(node, "handlers", ()))
    blocks.extend(case.body for case in getattr(node, "cases", ()))
    return blocks


def _note_block(body: list[ast.stmt], method: FunctionInfo) -> None:
    """Record what :mod:`.gate` needs from the statements of a method."""
    for node in body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _note_target(target, node.value, method)
                if _is_true(node.value):
                    _note_trainable(target, REQUIRES_GRAD_ATTRIBUTE, method)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                _note_target(node.target, node.value, method)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            # A plain loop variable holds an item of what it iterates over.
            each = _item(node.iter, 0) if isinstance(node.target, ast.Name) else None
            _note_target(node.target, each, method)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    _note_target(item.optional_vars, None, method)
        elif isinstance(node, ast.Return):
            if node.value is not None:
                method.return_values.append(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if isinstance(call.func, ast.Attribute) and call.func.attr in DISCARDABLE_METHODS:
                method._noted()[6].append(call)
            if not call.args or _is_true(call.args[0]):
                _note_trainable(call.func, REQUIRES_GRAD_METHOD, method)
            if isinstance(call.func, ast.Attribute) and call.func.attr in ANY_FILL_METHOD:
                key = _container_key(call.func.value, method)
                if key is not None:
                    method.fills.setdefault(key, []).extend([*call.args, *(k.value for k in call.keywords)])
        elif isinstance(node, ast.AugAssign):
            key = _container_key(node.target, method)
            if key is not None:
                method.fills.setdefault(key, []).append(node.value)
        elif isinstance(node, ast.Assert):
            _note_narrowed(node.test, method)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, (ast.If, ast.While)):
            _note_narrowed(node.test, method)
        if not isinstance(node, _COMPOUND):
            continue
        for handler in getattr(node, "handlers", ()):
            if handler.name:
                method.local_values.setdefault(handler.name, []).append(None)
        for block in _blocks(node):
            _note_block(block, method)


def _note_discards(body: list[ast.stmt], found: list[ast.Call]) -> None:
    """The calls of :attr:`FunctionInfo.discards` in ``body`` and the blocks nested in it."""
    for node in body:
        if isinstance(node, ast.Expr):
            call = node.value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                    and call.func.attr in DISCARDABLE_METHODS:
                found.append(call)
        elif isinstance(node, _COMPOUND):
            for block in _blocks(node):
                _note_discards(block, found)


def _container_key(node: ast.expr, method: FunctionInfo) -> str | None:
    """``xs`` for a local, ``self.xs`` for an attribute of ``self``, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == method.self_name
    ):
        return "self." + node.attr
    return None


def _note_target(target: ast.expr, value: ast.expr | None, method: FunctionInfo) -> None:
    if isinstance(target, ast.Subscript):
        key = _container_key(target.value, method)
        if key is not None and value is not None:
            method.fills.setdefault(key, []).append(value)
    elif isinstance(target, ast.Name):
        method.local_values.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        values: list[ast.expr | None]
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) and not any(
            isinstance(e, ast.Starred) for e in value.elts
        ):
            values = list(value.elts)
        elif value is None or any(isinstance(e, ast.Starred) for e in target.elts):
            values = [None] * len(target.elts)  # inference knows nothing of a starred unpacking
        else:
            # ``a, b = f()``: each target holds an item of the value.
            values = [_item(value, i) for i in range(len(target.elts))]
        for sub_target, sub_value in zip(target.elts, values):
            _note_target(sub_target, sub_value, method)
    elif isinstance(target, ast.Starred):
        _note_target(target.value, None, method)
    elif (
        value is not None
        and method.self_name is not None
        and isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == method.self_name
    ):
        method.self_assigns.append((target, value))


def _item(value: ast.expr, index: int) -> ast.expr:
    """``value[index]``: what the gate judges for a target that holds an item of ``value``."""
    return ast.Subscript(value=value, slice=ast.Constant(index), ctx=ast.Load())


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _note_trainable(node: ast.expr, attribute: str, method: FunctionInfo) -> None:
    """``self.<x>.<attribute>`` (``requires_grad`` set, or ``requires_grad_`` called): note x."""
    if isinstance(node, ast.Attribute) and node.attr == attribute:
        key = _container_key(node.value, method)
        if key is not None and key.startswith("self."):
            method.made_trainable.add(key[5:])


def _note_narrowed(test: ast.expr, method: FunctionInfo) -> None:
    """Names an ``isinstance(name, ...)`` test may narrow to a tensor, Parameter or Module."""
    for node in ast.walk(test):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "isinstance"
            and node.args
            and isinstance(node.args[0], ast.Name)
        ):
            method.narrowed.add(node.args[0].id)


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):  # Generic[T], nn.Module[...]-style annotations
        node = node.value
    return dotted_name(node)
