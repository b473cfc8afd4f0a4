"""Resolve the names of one file to qualified names, from its ``import`` statements.

This is the cheap stand-in for libcst's QualifiedNameProvider: one pass over the ``ast`` that
flake8 already built.  ``resolve("nn.Linear")`` gives ``"torch.nn.Linear"`` after
``from torch import nn``.  Relative imports resolve against the file's own package
(``.layers.Block`` in ``pkg/model.py`` is ``pkg.layers.Block``); when the package is unknown they
stay relative (leading dots), which the project resolver understands.

``from m import *`` binds names that only ``m`` knows.  A name that the file does not bind
otherwise, when the file has star imports, resolves to ``*.name`` (:data:`STAR`): the project
resolver answers it from the star-imported modules (see :mod:`.project`), and to anything else it
is an unknown name.  :func:`module_names` reads what a module gives to ``from m import *``.
"""

from __future__ import annotations

import ast
from typing import Iterable, NamedTuple, Optional

#: The prefix of a name that only a star import of the file can have bound (``*.Block``).
STAR = "*."


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def absolute_module(module: str | None, level: int, package: str | None) -> str:
    """The module that ``from <level dots><module> import ...`` names, relative to ``package``."""
    if level == 0:
        return module or ""
    if package is not None:
        parts = package.split(".") if package else []
        if level - 1 <= len(parts):
            base = parts[: len(parts) - (level - 1)]
            return ".".join(base + ([module] if module else []))
    return "." * level + (module or "")


class ImportTable:
    """Local name -> qualified name, for every import in a file."""

    __slots__ = ("aliases", "local_names", "stars", "bound")

    def __init__(self, aliases: dict[str, str], local_names: Iterable[str] = (), stars: Iterable[str] = (),
                 bound: Optional[frozenset[str]] = None) -> None:
        self.aliases = aliases
        #: Names the file defines itself (classes, functions): they shadow nothing imported,
        #: and an unimported name such as a local ``class Module`` is never torch's.
        self.local_names = frozenset(local_names)
        #: The modules of the file's ``from m import *`` statements, in order (absolute, or
        #: relative with leading dots when the package is unknown).
        self.stars = tuple(stars)
        #: With star imports: every name the file binds other than through them, in any scope
        #: (see :func:`bound_names`); ``None`` when not known, and then no name is looked up in
        #: the star-imported modules.
        self.bound = bound

    @classmethod
    def from_nodes(cls, nodes: Iterable[ast.stmt], package: str | None,
                   tree: Optional[ast.Module] = None) -> "ImportTable":
        """The table of the import statements ``nodes``; ``tree``, the file's whole tree, tells
        which names star imports can bind (only read when the file has one)."""
        aliases: dict[str, str] = {}
        stars: list[str] = []
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases.setdefault(alias.asname, alias.name)
                    else:
                        root = alias.name.split(".", 1)[0]
                        aliases.setdefault(root, root)
            elif isinstance(node, ast.ImportFrom):
                base = absolute_module(node.module, node.level or 0, package)
                for alias in node.names:
                    if alias.name == "*":
                        stars.append(base or ".")  # ``from . import *`` at the top: not known
                        continue
                    local = alias.asname or alias.name
                    sep = "" if base.endswith(".") or not base else "."
                    aliases.setdefault(local, f"{base}{sep}{alias.name}")
        bound = None
        if stars and tree is not None:
            names, dynamic = _bindings(tree)
            bound = None if dynamic else frozenset(names)
        return cls(aliases, stars=stars, bound=bound)

    def resolve(self, dotted: str) -> str | None:
        """Qualified name of ``dotted`` through the imports, or ``None`` when it is not imported.
        A name that only a star import can have bound gives ``*.dotted``."""
        root, dot, rest = dotted.partition(".")
        target = self.aliases.get(root)
        if target is None:
            bound = self.bound
            if self.stars and bound is not None and root not in bound and root not in self.local_names:
                return STAR + dotted
            return None
        return f"{target}{dot}{rest}"


#: Nodes whose ``name`` (a str, or ``None``) is a name they bind; those of ``match`` and of type
#: parameters where this Python has them.
_NAMED = tuple(
    getattr(ast, name)
    for name in ("FunctionDef", "AsyncFunctionDef", "ClassDef", "ExceptHandler", "MatchAs", "MatchStar",
                 "TypeVar", "ParamSpec", "TypeVarTuple")
    if hasattr(ast, name)
)
_MATCH_MAPPING = getattr(ast, "MatchMapping", ())


#: Calls that may bind names no statement shows (``globals()[name] = value``).
_NAMESPACE_CALLS = frozenset({"globals", "vars", "exec"})


def bound_names(tree: ast.AST) -> frozenset[str]:
    """Every name that ``tree`` binds other than through star imports, in any scope: assigned,
    deleted, defined, imported, a parameter, an ``except ... as``, a ``match`` capture, declared
    ``global``.  More than the module level binds, so that a name is looked up in star-imported
    modules only when nothing in the file can be it."""
    return frozenset(_bindings(tree)[0])


def _bindings(tree: ast.AST) -> tuple[set[str], bool]:
    """:func:`bound_names`, and whether ``tree`` calls ``globals()``, ``vars()`` or ``exec()``,
    which may bind any name."""
    names: set[str] = set()
    add = names.add
    dynamic = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                add(node.id)
            elif node.id in _NAMESPACE_CALLS:
                dynamic = True
        elif isinstance(node, ast.arg):
            add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    add(alias.asname or alias.name.split(".", 1)[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, _NAMED):
            if node.name:
                add(node.name)
        elif isinstance(node, _MATCH_MAPPING) and node.rest:
            add(node.rest)
    return names, dynamic


class ModuleNames(NamedTuple):
    """What ``from <this module> import *`` binds, as far as its top level shows it."""

    #: Names the module level binds other than through star imports (also in ``if``/``try``).
    bound: frozenset[str]
    #: Its own star-imported modules, in order.
    stars: tuple[str, ...]
    #: Its ``__all__`` when that is a literal list or tuple of strings (extended by literals
    #: with ``+=``, ``.extend()``, ``.append()``): then exactly what a star import binds.
    public: Optional[frozenset[str]]
    #: ``__all__`` is computed, or assigned inside a block: what it holds is not known.
    computed_all: bool
    #: Names whose binding is not known: deleted at module level.
    uncertain: frozenset[str]
    #: The module may bind names that its statements do not show (``globals()`` and the like).
    dynamic: bool


#: Text that may bind module names without a statement showing them.
_DYNAMIC_WORDS = ("globals()", "vars()", "sys.modules")


def module_names(tree: ast.Module, package: str | None, text: str) -> ModuleNames:
    """What the module whose source is ``text`` (parsed: ``tree``) gives to a star import."""
    reader = _TopLevel(package)
    reader.block(tree.body, top=True)
    dynamic = any(word in text for word in _DYNAMIC_WORDS)
    if ":=" in text or "exec(" in text:
        for statement in reader.statements:
            for node in ast.walk(statement):
                if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                    reader.bound.add(node.target.id)
                elif isinstance(node, ast.Name) and node.id == "exec":
                    dynamic = True
    return ModuleNames(
        frozenset(reader.bound),
        tuple(reader.stars),
        frozenset(reader.public) if reader.public is not None else None,
        reader.computed_all,
        frozenset(reader.deleted),
        dynamic,
    )


class _TopLevel:
    """Reads the statements of a module level (and of its blocks, not of definitions)."""

    def __init__(self, package: str | None) -> None:
        self.package = package
        self.bound: set[str] = set()
        self.stars: list[str] = []
        self.public: Optional[list[str]] = None
        self.computed_all = False
        self.deleted: set[str] = set()
        #: Statements holding expressions (for the rare ``:=`` at module level).
        self.statements: list[ast.stmt] = []

    def block(self, body: list[ast.stmt], top: bool) -> None:
        for node in body:
            self.statement(node, top)

    def statement(self, node: ast.stmt, top: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.bound.add(node.name)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.bound.add(alias.asname or alias.name.split(".", 1)[0])
            return
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    self.stars.append(absolute_module(node.module, node.level or 0, self.package) or ".")
                else:
                    self.bound.add(alias.asname or alias.name)
            return
        self.statements.append(node)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "__all__":
                    self.assign_all(node, top)
                else:
                    self.target(target)
        elif isinstance(node, ast.Expr):
            self.call_on_all(node.value, top)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.deleted.add(target.id)
                    if target.id == "__all__":
                        self.computed_all = True
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.target(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self.target(item.optional_vars)
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(node, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                self.block(inner, top=False)
        for handler in getattr(node, "handlers", ()):
            if handler.name:
                self.bound.add(handler.name)
            self.block(handler.body, top=False)
        for case in getattr(node, "cases", ()):
            self.bound.update(bound_names(case.pattern))
            self.block(case.body, top=False)

    def target(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.bound.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element)
        elif isinstance(node, ast.Starred):
            self.target(node.value)

    def assign_all(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, top: bool) -> None:
        names = _literal_strings(node.value)
        if not top or names is None:
            self.computed_all = True
        elif isinstance(node, ast.AugAssign):
            if isinstance(node.op, ast.Add) and self.public is not None:
                self.public.extend(names)
            else:
                self.computed_all = True
        else:
            self.public = names

    def call_on_all(self, value: ast.expr, top: bool) -> None:
        """``__all__.extend([...])``, ``__all__.append("x")``; any other call on it makes
        ``__all__`` unknown."""
        if not (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id == "__all__"
        ):
            return
        method, args = value.func.attr, value.args
        names: Optional[list[str]] = None
        if len(args) == 1 and not value.keywords and top and self.public is not None:
            if method == "extend":
                names = _literal_strings(args[0])
            elif method == "append":
                names = _literal_strings(ast.Tuple(elts=[args[0]]))
        if names is None or self.public is None:
            self.computed_all = True
        else:
            self.public.extend(names)


def _literal_strings(node: Optional[ast.expr]) -> Optional[list[str]]:
    """The strings of a literal list or tuple of string constants, else ``None``."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    names = []
    for element in node.elts:
        if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
            return None
        names.append(element.value)
    return names
