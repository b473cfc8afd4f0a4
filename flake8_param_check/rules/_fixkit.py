"""The fix toolkit: what a rule's fix planner (``plan_fix(site)``) works with.

:class:`FixSite` is the statement a planner may rewrite, a plain ``self.<attr> = value`` alone on
its line, with the questions that decide whether a rewrite is safe: other assignments of the
attribute (in the class, its subclasses and its bases), names the class already defines, methods
called on the attribute, whether a local handed over is used afterwards.  A rule that judges
other facts than bindings gets a :class:`StatementSite` instead: an expression statement alone on
its line (:func:`site_at` picks).  A planner answers with a :class:`Plan` (``site.plan(...)``), or
``None`` to leave the finding unfixed.  The functions at the end are the libcst helpers planners
share.  The driver is :mod:`..fixer`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Sequence

import libcst as cst

from .. import effects
from .. import torch_names as tn
from ..symbols import ClassRef, Qualified
from ..inference import walk
from ._core import Binding, ClassSummary, Discarded, Fact, Kind, dotted

if TYPE_CHECKING:  # pragma: no cover
    from ..settings import Settings
    from ..index import ClassInfo
    from ._core import Session, Span

Rewrite = Callable[[cst.SimpleStatementLine, cst.BaseExpression], cst.SimpleStatementLine]


class Found(Protocol):
    """A finding as the fixer holds it (:class:`..analysis.Reported`): the finding, and the
    binding and class it was found on."""

    finding: Any
    binding: Fact
    summary: ClassSummary | None


@dataclass
class Plan:
    """How to rewrite one statement.  ``rewrite(statement, nn)`` gets the statement (from
    whichever tree holds it) and the expression naming ``torch.nn``."""

    item: Found
    rewrite: Rewrite
    needs_nn: bool
    #: The fact whose statement is rewritten: the finding's binding, an earlier binding of the
    #: same attribute (``fix_target``), or a discarded value.
    binding: Binding | Discarded
    #: Import lines the rewrite needs, added once to the file when it is fixed (``import copy``).
    imports: tuple[str, ...] = ()


@dataclass
class ClassTree:
    """A parsed class segment, with the parent of every node (built on first need)."""

    span: Span
    module: cst.Module
    parents: dict[int, cst.CSTNode] | None = None
    statements: dict[int, cst.SimpleStatementLine] | None = None

    def parent_map(self) -> dict[int, cst.CSTNode]:
        if self.parents is None:
            parents: dict[int, cst.CSTNode] = {}
            statements: dict[int, cst.SimpleStatementLine] = {}
            stack: list[cst.CSTNode] = [self.module]
            while stack:
                node = stack.pop()
                if isinstance(node, cst.SimpleStatementLine):
                    statements[id(node)] = node
                for child in node.children:
                    parents[id(child)] = node
                    stack.append(child)
            self.parents, self.statements = parents, statements
        return self.parents

    def holds(self, statement: cst.CSTNode) -> bool:
        self.parent_map()
        assert self.statements is not None
        return id(statement) in self.statements

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parents = self.parent_map()
        current = parents.get(id(node))
        while current is not None:
            yield current
            current = parents.get(id(current))

    def function_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None


@dataclass
class FixSite:
    """The statement behind one finding, where a fix may rewrite it, and the questions about it."""

    item: Found
    tree: ClassTree
    assign: cst.Assign  #: the statement's only small statement
    settings: Settings
    session: Session
    source: str  #: the whole file
    target: Binding  #: the statement to rewrite: the finding's, or the one its rule names

    @classmethod
    def at(cls, item: Found, tree: ClassTree, session: Session, settings: Settings,
           source: str, target: Binding | None = None) -> FixSite | None:
        """The site of ``item`` when a fix may rewrite its statement (or ``target``, an earlier
        binding of the same attribute that its rule fixes instead): a plain ``self.x = value``
        alone on its line, in ``tree``, that does not run before ``super().__init__()``."""
        binding = target if target is not None else item.binding
        statement = binding.statement
        if not isinstance(binding, Binding) or item.summary is None or not tree.holds(statement):
            return None
        # An attribute bound more than once is rewritten only where its rule says (fix_target).
        if binding.rebound and target is None:
            return None
        if not binding.single or not isinstance(statement, cst.SimpleStatementLine):
            return None
        if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
            return None
        assign = statement.body[0]
        if len(assign.targets) != 1 or assign.targets[0].target is not binding.target:
            return None
        site = cls(item, tree, assign, settings, session, source, binding)
        return None if site.before_super_init() else site

    def plan(self, rewrite: Rewrite, needs_nn: bool, imports: tuple[str, ...] = ()) -> Plan:
        """Rewrite the statement with ``rewrite``; ``needs_nn``: it writes ``torch.nn``;
        ``imports``: the import lines it needs (see :meth:`function_name`)."""
        return Plan(self.item, rewrite, needs_nn, self.target, imports)

    @property
    def binding(self) -> Binding:
        return self.target

    @property
    def summary(self) -> ClassSummary:
        assert self.item.summary is not None
        return self.item.summary

    @property
    def attr(self) -> str:
        return self.target.attr

    @property
    def statement(self) -> cst.SimpleStatementLine:
        return self.target.statement  # type: ignore[return-value]

    @property
    def self_name(self) -> str | None:
        """The name ``self`` goes by in the statement (``None`` for ``a.b.attr = ...``)."""
        value = self.target.target.value
        return value.value if isinstance(value, cst.Name) else None

    # --- the attribute elsewhere ---------------------------------------------------------------

    def other_bindings(self) -> list[Binding | None]:
        """Other assignments of the attribute: in this class and in subclasses of it in the file
        (``None`` for a class that could not be walked)."""
        binding = self.target

        def others(bindings: list[Binding]) -> list[Binding]:
            # Only each class's own statements: a base ``__init__`` that the walk ran through
            # ``super().__init__()`` is the base's (see base_bindings).
            return [b for b in bindings
                    if b.own and b.attr == binding.attr and b.statement is not binding.statement]

        found: list[Binding | None] = list(others(self.summary.bindings))
        info = self.summary.info
        for other in self.session.symbols.index.classes:
            if other is info or not other.bases or not self._inherits(other, info):
                continue
            summary = self.session.class_summary(other)
            if summary is None:
                found.append(None)  # unknown: be safe
                continue
            found.extend(others(summary.bindings))
        return found

    def base_bindings(self, init_too: bool) -> bool:
        """Whether a base class (in the project) assigns the attribute: outside its init scope
        (a plain value over what the fix registers), or anywhere with ``init_too``."""
        attr = self.attr
        seen: set[int] = set()
        todo = list(self.session.symbols.base_refs(self.summary.info))
        while todo:
            ref = todo.pop()
            if id(ref.info) in seen or len(seen) > 50:
                continue
            seen.add(id(ref.info))
            if not ref.is_module():
                continue
            summary = self.session.summary(ref)
            if summary is None:
                continue
            if any(b.attr == attr and (init_too or not b.in_init) for b in summary.bindings):
                return True
            todo.extend(ref.symbols.base_refs(ref.info))
        return False

    def _inherits(self, info: ClassInfo, ancestor: ClassInfo, depth: int = 0) -> bool:
        if depth > 20:
            return False
        for ref in self.session.symbols.base_refs(info):
            if ref.symbols is not self.session.symbols:
                continue
            if ref.info is ancestor or self._inherits(ref.info, ancestor, depth + 1):
                return True
        return False

    def class_defines(self, name: str) -> bool:
        """Whether the class (or what it inherits) has a class-level ``name``."""
        if name in self.summary.methods:
            return True
        for node in self.summary.info.node.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                return True
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        return False

    def methods_used(self) -> set[str]:
        """Every ``.<attr>.<method>`` in the file (anyone's ``attr``: conservative)."""
        pattern = re.compile(r"\.\s*" + re.escape(self.attr) + r"\s*\.\s*([A-Za-z_]\w*)")
        return set(pattern.findall(self.source))

    # --- the statement in its function ---------------------------------------------------------

    def before_super_init(self) -> bool:
        """The statement runs in ``__init__`` before ``super().__init__()``: registering fails."""
        statement = self.statement
        function = self.tree.function_of(statement)
        if function is None or function.name.value != "__init__":
            return False
        passed = False
        for node in walk(function.body):
            if node is statement:
                passed = True
            elif passed and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value == "__init__":
                return True
        return False

    def local_is_private(self, name: str) -> bool:
        """The local ``name`` handed to ``self`` by the statement is not used afterwards (so a copy
        of it, such as ``nn.ModuleList(name)``, is as good as it)."""
        statement = self.statement
        function = self.tree.function_of(statement)
        if function is None:
            return False
        for ancestor in self.tree.ancestors(statement):
            if ancestor is function:
                break
            if isinstance(ancestor, (cst.For, cst.While)):
                return False
        passed = False
        for node in walk(function.body, skip=statement):
            if node is statement:
                passed = True
                continue
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                if any(isinstance(n, cst.Name) and n.value == name for n in walk(node)):
                    return False
            if passed and isinstance(node, cst.Name) and node.value == name:
                return False
        return True

    def local_value(self, name: str) -> cst.BaseExpression | None:
        """The value of the local ``name`` when the function binds it once, by a plain
        ``name = value`` statement earlier in the statement's block."""
        statement = self.statement
        function = self.tree.function_of(statement)
        siblings = self.block()
        if function is None or siblings is None:
            return None
        bindings = []
        for node in walk(function):
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor,
                                 cst.WithItem, cst.NamedExpr, cst.Param, cst.ImportAlias)):
                target = getattr(node, "target", None) or getattr(node, "name", None) \
                    or getattr(node, "asname", None)
                if target is not None and any(isinstance(n, cst.Name) and n.value == name
                                              for n in walk(target)):
                    bindings.append(node)
        if len(bindings) != 1 or not isinstance(bindings[0], cst.AssignTarget):
            return None
        for earlier in siblings[:siblings.index(statement)]:
            if isinstance(earlier, cst.SimpleStatementLine) and len(earlier.body) == 1 \
                    and isinstance(earlier.body[0], cst.Assign) and len(earlier.body[0].targets) == 1 \
                    and earlier.body[0].targets[0] is bindings[0]:
                return earlier.body[0].value
        return None

    def local_attributes(self, name: str) -> set[str]:
        """Every ``name.<attribute>`` of the statement's function."""
        function = self.tree.function_of(self.statement)
        if function is None:
            return set()
        return {node.attr.value for node in walk(function) if isinstance(node, cst.Attribute)
                and isinstance(node.value, cst.Name) and node.value.value == name}

    def block(self) -> list[cst.BaseStatement] | None:
        """The statements of the block that holds the statement (``None`` for a one-line body)."""
        parent = self.tree.parent_map().get(id(self.statement))
        if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
            return None
        return list(parent.body)

    def later_statements(self) -> list[cst.BaseStatement] | None:
        """The statements after the statement in its block."""
        siblings = self.block()
        if siblings is None:
            return None
        return siblings[siblings.index(self.statement) + 1:]

    def qualified(self, node: cst.BaseExpression) -> str | None:
        """The qualified name ``node`` stands for through the file's imports (``torch.zeros``)."""
        name = dotted(node)
        return self.session.symbols.index.imports.resolve(name) if name else None

    def builds_module(self, call: cst.Call) -> bool:
        """Whether ``call`` builds a Module: a class of torch, a known library or the project."""
        name = dotted(call.func)
        meaning = self.session.symbols.lookup(name) if name else None
        if isinstance(meaning, ClassRef):
            return meaning.is_module()
        return isinstance(meaning, Qualified) and \
            effects.call(meaning.name, self.settings.module_bases) is effects.Call.MODULE

    def function_name(self, qualname: str) -> tuple[str, str | None] | None:
        """How to write a call of the module-level function ``qualname`` (``copy.deepcopy``) in
        this file, and the import line to add for it (``None``: already imported); ``None`` when
        the names it needs are bound to something else."""
        module, _, function = qualname.rpartition(".")
        tree = self.session.symbols.caches.get("fix-ast")
        if tree is None:
            tree = self.session.symbols.caches["fix-ast"] = ast.parse(self.source)
        imported: dict[str, str] = {}
        for node in top_level_imports(tree):
            for alias in node.names:  # type: ignore[attr-defined]
                if isinstance(node, ast.Import) and (alias.asname or "." not in alias.name):
                    imported.setdefault(alias.asname or alias.name, alias.name)
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    imported.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
        elsewhere = bound_elsewhere(tree)
        for name, meaning in sorted(imported.items()):
            if name not in elsewhere and meaning == module:
                return f"{name}.{function}", None
            if name not in elsewhere and meaning == qualname:
                return name, None
        if module in imported or module in elsewhere or "." in module:
            return None
        return qualname, f"import {module}"


@dataclass
class StatementSite:
    """The expression statement behind a finding on a :class:`~..classwalk.Discarded` value
    (``x.to(d)`` alone on its line), where a fix may rewrite it, and the questions about it."""

    item: Found
    tree: ClassTree
    expr: cst.Expr  #: the statement's only small statement
    session: Session

    @classmethod
    def at(cls, item: Found, tree: ClassTree, session: Session) -> StatementSite | None:
        fact = item.binding
        statement = fact.statement
        if not isinstance(fact, Discarded) or not isinstance(statement, cst.SimpleStatementLine):
            return None
        if not tree.holds(statement) or len(statement.body) != 1:
            return None
        expr = statement.body[0]
        if not isinstance(expr, cst.Expr) or expr.value is not fact.target:
            return None
        return cls(item, tree, expr, session)

    def plan(self, rewrite: Rewrite, needs_nn: bool) -> Plan:
        """Rewrite the statement with ``rewrite``; ``needs_nn``: it writes ``torch.nn``."""
        return Plan(self.item, rewrite, needs_nn, self.fact)

    @property
    def fact(self) -> Discarded:
        assert isinstance(self.item.binding, Discarded)
        return self.item.binding

    @property
    def statement(self) -> cst.SimpleStatementLine:
        return self.item.binding.statement  # type: ignore[return-value]

    def loop_target(self, name: str) -> bool:
        """Whether an enclosing ``for`` of the statement's function binds ``name`` (rebinding it
        would be lost at the next item)."""
        for ancestor in self.tree.ancestors(self.statement):
            if isinstance(ancestor, cst.FunctionDef):
                return False
            if isinstance(ancestor, cst.For) and any(
                isinstance(n, cst.Name) and n.value == name for n in walk(ancestor.target)
            ):
                return True
        return False

    def attribute_kinds(self, attr: str) -> set[Kind] | None:
        """Every kind the class gives ``self.<attr>`` (its assignments, and what it registers the
        name as); ``None`` when one is unknown, or when a base class, a subclass in the file or a
        torch layer the class derives from may set it."""
        summary = self.item.summary
        if summary is None or attr in summary.inherited:
            return None
        symbols = self.session.symbols
        info = summary.info
        if tn.is_torch_layer_state(attr) and symbols.inherits_torch_layer(info):
            return None
        mentions = re.compile(r"[.'\"]" + re.escape(attr) + r"\b")
        for ref in symbols.base_refs(info):
            if ref.is_module() and mentions.search(ref.symbols.class_text(ref.info)):
                return None
        for other in symbols.index.classes:
            if other is not info and info.name in other.bases and mentions.search(symbols.class_text(other)):
                return None
        kinds = set(summary.registered_as.get(attr, ()))
        for binding in summary.bindings:
            if binding.attr == attr:
                if binding.value is None:
                    return None
                kinds.add(binding.value.kind)
        return kinds


def site_at(item: Found, tree: ClassTree, session: Session, settings: Settings,
            source: str, target: Binding | None = None) -> FixSite | StatementSite | None:
    """Where the fact behind ``item`` may be rewritten: a :class:`FixSite` for a binding (or for
    ``target``, the earlier binding its rule fixes instead), a :class:`StatementSite` for a
    discarded value; ``None`` when it may not."""
    if isinstance(item.binding, Binding):
        return FixSite.at(item, tree, session, settings, source, target)
    return StatementSite.at(item, tree, session)


# --- the file's names ---------------------------------------------------------------------------

def top_level_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """Imports that always run at module level: top-level ones and those in a top-level ``try``."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.Try):
            for inner in node.body:
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner


def bound_elsewhere(tree: ast.Module) -> set[str]:
    """Names bound anywhere in the file other than by the imports of :func:`top_level_imports`."""
    counted = {id(node) for node in top_level_imports(tree)}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in counted:
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".", 1)[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            names.update(name for name, _, _ in tn.NN_IMPORTS)
    return names


# --- libcst helpers ------------------------------------------------------------------------------


def nn_attr(nn: cst.BaseExpression, name: str) -> cst.Attribute:
    """``nn.<name>``, for the expression ``nn`` naming ``torch.nn``."""
    return cst.Attribute(nn.deep_clone(), cst.Name(name))


def keyword_arg(name: str, value: str) -> cst.Arg:
    """``name=value``."""
    return cst.Arg(cst.Name(value), keyword=cst.Name(name),
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def unparenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` without its own parentheses (they go around the new call instead)."""
    if getattr(node, "lpar", None) and not isinstance(node, cst.Tuple):
        return node.with_changes(lpar=[], rpar=[])
    return node


def keep_parens(old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
    """``new`` in the parentheses of ``old``."""
    if getattr(old, "lpar", None) and not isinstance(old, cst.Tuple):
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.FormattedString, cst.List,
          cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def atom(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` as a receiver of ``.method()``: parenthesized unless it binds tighter already."""
    if isinstance(node, _ATOMS) or getattr(node, "lpar", None):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def drop_arg(args: Sequence[cst.Arg], dropped: cst.Arg) -> list[cst.Arg] | None:
    """``args`` without ``dropped``, commas mended; ``None`` when that would lose a comment."""
    if has_comment(dropped):
        return None
    kept = [a for a in args if a is not dropped]
    if args[-1] is not dropped or not kept:
        return kept
    last = kept[-1]
    if isinstance(last.comma, cst.Comma) and has_comment(last.comma):
        return None
    if isinstance(dropped.comma, cst.Comma):  # a trailing comma stays, with its line break
        before = (last.comma.whitespace_before if isinstance(last.comma, cst.Comma)
                  else cst.SimpleWhitespace(""))
        kept[-1] = last.with_changes(comma=cst.Comma(before, dropped.comma.whitespace_after))
    else:
        kept[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return kept


def has_comment(node: cst.CSTNode) -> bool:
    return any(isinstance(n, cst.Comment) for n in walk(node))


def _newline_in(node: object) -> bool:
    return isinstance(node, cst.CSTNode) and any(isinstance(n, cst.Newline) for n in walk(node))


def tuple_to_list(node: cst.Tuple) -> cst.List:
    """``(a, b)`` -> ``[a, b]``, keeping what is inside the brackets."""
    elements = list(node.elements)
    comma = elements[0].comma if len(elements) == 1 else None
    if isinstance(comma, cst.Comma) and not has_comment(comma) and not _newline_in(comma):
        elements[0] = elements[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if node.lpar:
        return cst.List(
            elements,
            lbracket=cst.LeftSquareBracket(node.lpar[0].whitespace_after),
            rbracket=cst.RightSquareBracket(node.rpar[0].whitespace_before),
        )
    return cst.List(elements)


def is_self_attr(node: cst.CSTNode, self_name: str, attr: str) -> bool:
    """``node`` is ``<self_name>.<attr>``."""
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) \
        and node.value.value == self_name and node.attr.value == attr
