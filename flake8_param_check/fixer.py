"""The autofixer: rewrites the statements behind fixable findings.

How it stays safe
-----------------
The analysis parses every Module class on its own (a *segment*, see
:meth:`~flake8_param_check.index.FileIndex.segment`) and each finding keeps the libcst statement it
was found on.  The fixer decides, finding by finding, whether a rewrite is certainly right (a
:class:`Plan`), then runs one :class:`_Rewriter` over the already-parsed segment of each class and
puts the printed segment back in place of the class's lines.  libcst prints every node it was not
asked to change exactly as it was read, so the only text that changes is the rewritten statements
(and, when the file has no usable name for ``torch.nn``, one inserted ``from torch import nn``
line).  A class nested in another class that also has fixes is rewritten inside the outer class's
segment: its statements are found there by their position in the file.

What is rewritten (anything else is left as it is and counted as *unfixed*)
--------------------------------------------------------------------------
* TPC001 ``self.x = t`` -> ``self.register_buffer("x", t, persistent=False)`` (or, with
  ``buffer_style = "nn.Buffer"``, ``self.x = nn.Buffer(t, persistent=False)``).
* TPC002 ``self.w = torch.randn(3, requires_grad=True)`` -> ``self.w = nn.Parameter(torch.randn(3))``;
  likewise ``t.requires_grad_()``, ``torch.autograd.Variable(t, requires_grad=True)``, those
  followed by conversions (``.to(dev)``), a local bound once just before from one of those, and a
  value whose ``self.w.requires_grad = True`` / ``self.w.requires_grad_()`` follows in the same block.
* TPC003 a list, tuple, list comprehension, dict with string keys or local name of modules ->
  ``nn.ModuleList(...)`` / ``nn.ModuleDict(...)``; ``[]`` -> ``nn.ModuleList()``, ``{}`` ->
  ``nn.ModuleDict()``.
* TPC004 the same shapes holding Parameters only -> ``nn.ParameterList`` / ``nn.ParameterDict``.
* TPC005 ``nn.Parameter(t).to(d)`` -> ``nn.Parameter(t.to(d))``.

A statement is only rewritten when it is a plain ``self.x = value`` alone on its line, the attribute
is not assigned anywhere else in a way the new value would reject (a plain list over a registered
``ModuleList``, a plain tensor over a Parameter), the name cannot collide with a Module attribute,
the statement does not run before ``super().__init__()``, and a local name handed over is not used
afterwards (the new container or Parameter is a copy, not the same object).

Counting: :attr:`FixResult.fixed` holds the findings rewritten, :attr:`FixResult.unfixed` the other
findings that ``select`` and ``keep`` accept.  Findings that ``select`` or ``keep`` reject (other
codes, ``# noqa``) are in neither list and their lines are never touched.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import libcst as cst

from . import torch_names as tn
from .analysis import Reported, analyze_detailed
from .findings import Finding
from .index import Span
from .inference import CONTAINER, MODULE, PARAMETER, TENSOR_LIKE, dotted, is_true, string_value
from .settings import DEFAULT, Settings
from .source import physical_lines as split_lines


@dataclass
class FixResult:
    source: str  #: the rewritten text (the input itself when nothing changed)
    fixed: list[Finding] = field(default_factory=list)
    unfixed: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def fix_source(
    source: str,
    *,
    path: str | None = None,
    settings: Settings = DEFAULT,
    select: Callable[[str], bool] = lambda code: True,
    keep: Callable[[int, str], bool] = lambda line, code: True,
) -> FixResult:
    """Fix the findings of ``source`` whose code ``select`` accepts and that ``keep(line, code)``
    accepts (the CLI passes its ``# noqa`` filter).  Never raises.

    Findings rejected by ``select`` or ``keep`` are neither fixed nor unfixed.  When the source
    cannot be analysed, the result carries the ``error`` and the source unchanged.
    """
    try:
        return _Fixer(source, path, settings, select, keep).run()
    except RecursionError:
        return FixResult(source, error="fix stopped: nesting too deep")
    except Exception as exc:  # a bug of ours must never stop a run
        return FixResult(source, error=f"internal error in the fixer: {type(exc).__name__}: {exc}")


# --- plans -----------------------------------------------------------------------------------

Rewrite = Callable[[cst.SimpleStatementLine, cst.BaseExpression], cst.SimpleStatementLine]


@dataclass
class Plan:
    """How to rewrite one statement.  ``rewrite(statement, nn)`` gets the statement (from
    whichever tree holds it) and the expression naming ``torch.nn``."""

    item: Reported
    rewrite: Rewrite
    needs_nn: bool


@dataclass
class _ClassTree:
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


class _Rewriter(cst.CSTTransformer):
    def __init__(self, plans: dict[int, Plan], nn: cst.BaseExpression | None) -> None:
        super().__init__()
        self.plans = plans
        self.nn = nn
        self.done: set[int] = set()

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        plan = self.plans.get(id(original_node))
        if plan is None:
            return updated_node
        self.done.add(id(original_node))
        return plan.rewrite(updated_node, self.nn)  # type: ignore[arg-type]


class _Fixer:
    def __init__(self, source: str, path: str | None, settings: Settings,
                 select: Callable[[str], bool], keep: Callable[[int, str], bool]) -> None:
        self.source = source
        self.path = path
        self.settings = settings
        self.select = select
        self.keep = keep
        self.lines = split_lines(source)
        self.trees: dict[tuple[int, int], _ClassTree | None] = {}

    # --- driver ----------------------------------------------------------------------------

    def run(self) -> FixResult:
        source = self.source
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError) as exc:
            return FixResult(source, error=f"{type(exc).__name__}: {exc}")
        self.tree = tree
        detailed = analyze_detailed(source, path=self.path, settings=self.settings, tree=tree, complete=True)
        if detailed.error:
            return FixResult(source, error=detailed.error)
        if detailed.context is None:  # code that cannot hold a Module class: nothing to fix
            return FixResult(source)
        self.context = detailed.context
        chosen: list[Reported] = []
        seen: set[Finding] = set()
        for item in detailed.reported:
            finding = item.finding
            if finding in seen or not self.select(finding.code) or not self.keep(finding.line, finding.code):
                continue
            seen.add(finding)
            chosen.append(item)
        chosen.sort(key=lambda r: r.finding)
        plans: list[Plan] = []
        unfixed: list[Finding] = []
        for item in chosen:
            plan = self.plan(item)
            if plan is None:
                unfixed.append(item.finding)
            else:
                plans.append(plan)
        nn_text, insertion = (None, None)
        if any(p.needs_nn for p in plans):
            nn_text, insertion = self.nn_name()
            if nn_text is None:
                unfixed.extend(p.item.finding for p in plans if p.needs_nn)
                plans = [p for p in plans if not p.needs_nn]
        if not plans:
            return FixResult(source, [], sorted(unfixed))
        nn_node = cst.parse_expression(nn_text) if nn_text else None
        edits, fixed, left = self.apply(plans, nn_node)
        unfixed.extend(left)
        if not fixed:
            return FixResult(source, [], sorted(unfixed))
        if insertion is not None:
            edits.append(insertion)
        result = self.splice(edits)
        try:
            ast.parse(result)
        except (SyntaxError, ValueError) as exc:  # never expected: report, change nothing
            error = f"internal error: the fix does not parse ({exc})"
            return FixResult(source, [], sorted(unfixed + fixed), error=error)
        return FixResult(result, sorted(fixed), sorted(unfixed))

    def tree_for(self, span: Span) -> _ClassTree | None:
        key = (span.start, span.end)
        if key not in self.trees:
            parsed = self.context.parse(span)
            tree = None
            if parsed is not None:
                text, _ = self.context.index.segment(span)
                original = "".join(self.lines[span.start - 1: span.end])
                if span.indent > 0:
                    original = "if 1:\n" + original
                # The segment the analysis parsed must be exactly the file's lines (form feeds and
                # other odd line breaks could make them differ): else the class is left alone.
                if text == original and parsed[0].code == original:
                    tree = _ClassTree(span, parsed[0])
            self.trees[key] = tree
        return self.trees[key]

    def apply(self, plans: list[Plan], nn: cst.BaseExpression | None
              ) -> tuple[list[tuple[int, int, list[str]]], list[Finding], list[Finding]]:
        """Rewrite each class (outermost first); the line edits, fixed and unfixed findings."""
        spans: dict[tuple[int, int], Span] = {}
        for plan in plans:
            span = plan.item.binding.span
            spans[(span.start, span.end)] = span

        def root_of(span: Span) -> Span:
            best = span
            for other in spans.values():
                inside = other.start <= best.start and best.end <= other.end
                if inside and (other.end - other.start) > (best.end - best.start):
                    best = other
            return best

        groups: dict[tuple[int, int], dict[int, Plan]] = {}
        unfixed: list[Finding] = []
        positions: dict[tuple[int, int], dict[tuple[int, int], cst.SimpleStatementLine]] = {}
        for plan in plans:
            span = plan.item.binding.span
            root = root_of(span)
            root_tree = self.tree_for(root)
            statement = plan.item.binding.statement
            target: cst.CSTNode | None = None
            if root_tree is not None:
                if (root.start, root.end) == (span.start, span.end):
                    target = statement if root_tree.holds(statement) else None
                else:
                    key = (root.start, root.end)
                    if key not in positions:
                        root_tree.parent_map()
                        assert root_tree.statements is not None
                        positions[key] = {self.context.position(root, node): node
                                          for node in root_tree.statements.values()}
                    target = positions[key].get(self.context.position(span, statement))
            group = groups.setdefault((root.start, root.end), {})
            if target is None or id(target) in group:
                unfixed.append(plan.item.finding)
                continue
            group[id(target)] = plan
        edits: list[tuple[int, int, list[str]]] = []
        fixed: list[Finding] = []
        for (start, end), group in groups.items():
            if not group:
                continue
            root = spans[(start, end)]
            tree = self.tree_for(root)
            assert tree is not None
            rewriter = _Rewriter(group, nn)
            code = tree.module.visit(rewriter).code
            if root.indent > 0:
                assert code.startswith("if 1:\n")
                code = code[len("if 1:\n"):]
            edits.append((start, end, split_lines(code)))
            for key, plan in group.items():
                (fixed if key in rewriter.done else unfixed).append(plan.item.finding)
        return edits, fixed, unfixed

    def splice(self, edits: list[tuple[int, int, list[str]]]) -> str:
        """Replace lines ``start..end`` (1-based, inclusive; ``end = start - 1`` inserts)."""
        lines = list(self.lines)
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[start - 1: end] = new
        return "".join(lines)

    # --- the name of torch.nn --------------------------------------------------------------

    def nn_name(self) -> tuple[str | None, tuple[int, int, list[str]] | None]:
        """The expression for ``torch.nn`` in this file and, when one must be added, the edit
        inserting its import."""
        imported: dict[str, str] = {}
        for node in _top_level_imports(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imported.setdefault(alias.asname, alias.name)
                    else:
                        imported.setdefault(alias.name.split(".", 1)[0], alias.name.split(".", 1)[0])
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                for alias in node.names:
                    imported.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
        shadowed = _other_bindings(self.tree)
        usable = {name: qual for name, qual in imported.items() if name not in shadowed}
        preferred = tn.NN_IMPORTS[0][0]
        for wanted, spelling in tn.NN_SPELLINGS:
            names = sorted((n for n, q in usable.items() if q == wanted), key=lambda n: (n != preferred, n))
            if names:
                return spelling.format(name=names[0]), None
        taken = shadowed | set(imported)
        newline = _newline_of(self.lines)
        for name, line, expression in tn.NN_IMPORTS:
            if name not in taken:
                return expression, self.insertion(line + newline)
        return None, None

    def insertion(self, line: str) -> tuple[int, int, list[str]]:
        body = self.tree.body
        after = 0
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                after = node.end_lineno or node.lineno
        if not after and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            after = body[0].end_lineno or body[0].lineno
        if after:
            previous = self.lines[after - 1]
            if not previous.endswith(("\n", "\r")):  # the file's last line, without newline
                return (after, after, [previous + _newline_of(self.lines), line.rstrip("\r\n")])
            return (after + 1, after, [line])
        first = body[0]
        start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
        return (start, start - 1, [line])

    # --- deciding ----------------------------------------------------------------------------

    def plan(self, item: Reported) -> Plan | None:
        binding = item.binding
        span = item.binding.span
        tree = self.tree_for(span)
        if tree is None or not tree.holds(binding.statement):
            return None
        statement = binding.statement
        if not binding.single or binding.rebound or not isinstance(statement, cst.SimpleStatementLine):
            return None
        if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
            return None
        assign = statement.body[0]
        if len(assign.targets) != 1 or assign.targets[0].target is not binding.target:
            return None
        if self.before_super_init(tree, statement):
            return None
        code = item.finding.code
        decide = {
            "TPC001": self.plan_buffer,
            "TPC002": self.plan_trainable,
            "TPC003": self.plan_modules,
            "TPC004": self.plan_parameters,
            "TPC005": self.plan_converted,
        }.get(code)
        if decide is None:
            return None
        return decide(item, tree, assign)

    def other_bindings(self, item: Reported) -> list:
        """Other assignments of the attribute: in this class and in subclasses of it in the file
        (``None`` for a class that could not be walked)."""
        binding = item.binding
        found = [b for b in item.summary.bindings if b.attr == binding.attr and b.statement is not binding.statement]
        info = item.summary.info
        for other in self.context.index.classes:
            if other is info or not other.bases or not self.inherits(other, info):
                continue
            summary = self.context.summary(other)
            if summary is None:
                found.append(None)  # unknown: be safe
                continue
            found.extend(b for b in summary.bindings if b.attr == binding.attr and b.statement is not binding.statement)
        return found

    def base_bindings(self, item: Reported, init_too: bool) -> bool:
        """Whether a base class (in the project) assigns the attribute: outside its init scope
        (a plain value over what the fix registers), or anywhere with ``init_too``."""
        attr = item.binding.attr
        seen: set[int] = set()
        todo = list(self.context.base_refs(item.summary.info))
        while todo:
            ref = todo.pop()
            if id(ref.info) in seen or len(seen) > 50:
                continue
            seen.add(id(ref.info))
            if not ref.is_module():
                continue
            summary = ref.summary()
            if summary is None:
                continue
            if any(b.attr == attr and (init_too or not b.in_init) for b in summary.bindings):
                return True
            todo.extend(ref.context.base_refs(ref.info))
        return False

    def inherits(self, info, ancestor, depth: int = 0) -> bool:
        if depth > 20:
            return False
        for ref in self.context.base_refs(info):
            if ref.context is self.context and (ref.info is ancestor or self.inherits(ref.info, ancestor, depth + 1)):
                return True
        return False

    def class_defines(self, item: Reported, name: str) -> bool:
        """Whether the class (or what it inherits) has a class-level ``name``."""
        if name in item.summary.methods:
            return True
        for node in item.summary.info.node.body:
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

    def before_super_init(self, tree: _ClassTree, statement: cst.CSTNode) -> bool:
        """The statement runs in ``__init__`` before ``super().__init__()``: registering fails."""
        function = tree.function_of(statement)
        if function is None or function.name.value != "__init__":
            return False
        passed = False
        for node in _walk(function.body):
            if node is statement:
                passed = True
            elif passed and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value == "__init__":
                return True
        return False

    def methods_used(self, attr: str) -> set[str]:
        """Every ``.<attr>.<method>`` in the file (anyone's ``attr``: conservative)."""
        pattern = re.compile(r"\.\s*" + re.escape(attr) + r"\s*\.\s*([A-Za-z_]\w*)")
        return set(pattern.findall(self.source))

    def local_is_private(self, tree: _ClassTree, statement: cst.CSTNode, name: str) -> bool:
        """The local ``name`` handed to ``self`` by ``statement`` is not used afterwards (so a copy
        of it, such as ``nn.ModuleList(name)``, is as good as it)."""
        function = tree.function_of(statement)
        if function is None:
            return False
        for ancestor in tree.ancestors(statement):
            if ancestor is function:
                break
            if isinstance(ancestor, (cst.For, cst.While)):
                return False
        passed = False
        for node in _walk(function.body, skip=statement):
            if node is statement:
                passed = True
                continue
            if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                if any(isinstance(n, cst.Name) and n.value == name for n in _walk(node)):
                    return False
            if passed and isinstance(node, cst.Name) and node.value == name:
                return False
        return True

    # TPC001

    def plan_buffer(self, item: Reported, tree: _ClassTree, assign: cst.Assign) -> Plan | None:
        attr = item.binding.attr
        if attr in tn.MODULE_ATTRIBUTES or self.class_defines(item, attr):
            return None
        for other in self.other_bindings(item):
            # Later updates elsewhere are fine while they store tensors (they update the buffer).
            if other is None or other.in_init or other.value is None or other.value.kind not in TENSOR_LIKE:
                return None
        if self.base_bindings(item, init_too=True):  # a plain attribute first: register_buffer refuses
            return None
        self_name = item.binding.target.value
        if not isinstance(self_name, cst.Name):
            return None
        if self.settings.buffer_style == "nn.Buffer":
            def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
                old = statement.body[0]
                assert isinstance(old, cst.Assign)
                args = [cst.Arg(_unparenthesized(old.value)), _keyword(tn.PERSISTENT_KEYWORD, "False")]
                value = cst.Call(_nn_attr(nn, tn.NN_BUFFER), args)
                return statement.with_changes(body=[old.with_changes(value=_keep_parens(old.value, value))])
            return Plan(item, rewrite, True)

        def rewrite_register(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
            old = statement.body[0]
            assert isinstance(old, cst.Assign)
            call = cst.Call(
                cst.Attribute(cst.Name(self_name.value), cst.Name(tn.REGISTER_BUFFER)),
                [cst.Arg(cst.SimpleString(f'"{attr}"')), cst.Arg(old.value), _keyword(tn.PERSISTENT_KEYWORD, "False")],
            )
            return statement.with_changes(body=[cst.Expr(call, semicolon=old.semicolon)])
        return Plan(item, rewrite_register, False)

    # TPC002

    def plan_trainable(self, item: Reported, tree: _ClassTree, assign: cst.Assign) -> Plan | None:
        if self.other_bindings(item) or self.base_bindings(item, init_too=False):
            return None
        value = assign.value
        stripped = self.strip_trainable(value)
        if stripped is None:
            ok = False
            if isinstance(value, cst.Name) and self.local_is_private(tree, item.binding.statement, value.value):
                ok = self.local_trainable(tree, item.binding.statement, value.value) or \
                    self.made_trainable_next(tree, item)
            elif not isinstance(value, cst.Name):
                ok = self.made_trainable_next(tree, item)
            if not ok:
                return None
            stripped = value

        def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
            old = statement.body[0]
            assert isinstance(old, cst.Assign)
            inner = self.strip_trainable(old.value)
            if inner is None:
                inner = old.value
            wrapped = cst.Call(_nn_attr(nn, tn.NN_PARAMETER), [cst.Arg(_unparenthesized(inner))])
            return statement.with_changes(body=[old.with_changes(value=_keep_parens(old.value, wrapped))])
        return Plan(item, rewrite, True)

    def qualified(self, node: cst.BaseExpression) -> str | None:
        name = dotted(node)
        return self.context.index.imports.resolve(name) if name else None

    def strip_trainable(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """``node`` without what makes it require grad, when that is written in ``node`` itself:
        ``torch.f(..., requires_grad=True)``, ``Variable(t, requires_grad=True)``,
        ``t.requires_grad_()``, any of those followed by conversions such as ``.to(dev)``."""
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        qualname = self.qualified(func)
        factories = tn.TENSOR_FUNCTIONS | tn.TENSOR_CLASSES | tn.VARIABLE_CLASSES
        if isinstance(func, cst.Attribute) and qualname not in factories:
            method = func.attr.value
            receiver = func.value
            if method == tn.REQUIRES_GRAD_METHOD:
                flag = node.args[0] if node.args else None
                if flag is None or (len(node.args) == 1 and is_true(flag.value) and not flag.star
                                    and (flag.keyword is None or flag.keyword.value == tn.REQUIRES_GRAD_KEYWORD)):
                    return receiver
                return None
            if method in tn.CONVERSION_METHODS:
                inner = self.strip_trainable(receiver)
                if inner is None:
                    return None
                return node.with_changes(func=func.with_changes(value=_atom(inner)))
            return None
        if qualname is None:
            return None
        flags = [a for a in node.args if a.keyword is not None and a.keyword.value == tn.REQUIRES_GRAD_KEYWORD]
        if len(flags) != 1 or not is_true(flags[0].value) or any(a.star for a in node.args):
            return None
        if qualname in tn.TENSOR_FUNCTIONS or qualname in tn.TENSOR_CLASSES:
            args = _drop_arg(node.args, flags[0])
            return None if args is None else node.with_changes(args=args)
        if qualname in tn.VARIABLE_CLASSES:
            rest = [a for a in node.args if a is not flags[0]]
            if len(rest) == 1 and rest[0].keyword is None:
                return rest[0].value
        return None

    def local_trainable(self, tree: _ClassTree, statement: cst.CSTNode, name: str) -> bool:
        """``name`` is bound once in the function, earlier in the same block, to a value that
        requires grad as written."""
        function = tree.function_of(statement)
        parent = tree.parent_map().get(id(statement))
        if function is None or not isinstance(parent, (cst.IndentedBlock, cst.Module)):
            return False
        bindings = []
        for node in _walk(function):
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor,
                                 cst.WithItem, cst.NamedExpr, cst.Param, cst.ImportAlias)):
                target = getattr(node, "target", None) or getattr(node, "name", None) or getattr(node, "asname", None)
                if target is not None and any(isinstance(n, cst.Name) and n.value == name for n in _walk(target)):
                    bindings.append(node)
            elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name \
                    and node.attr.value in tn.GRAD_SWITCHES:
                return False
        if len(bindings) != 1 or not isinstance(bindings[0], cst.AssignTarget):
            return False
        siblings = list(parent.body)
        index = siblings.index(statement)  # type: ignore[arg-type]
        for earlier in siblings[:index]:
            if isinstance(earlier, cst.SimpleStatementLine) and len(earlier.body) == 1 \
                    and isinstance(earlier.body[0], cst.Assign) and len(earlier.body[0].targets) == 1 \
                    and earlier.body[0].targets[0] is bindings[0]:
                return self.strip_trainable(earlier.body[0].value) is not None
        return False

    def made_trainable_next(self, tree: _ClassTree, item: Reported) -> bool:
        """A later statement of the same block sets ``self.<attr>.requires_grad = True`` (or calls
        ``requires_grad_()``), and nothing uses ``self.<attr>`` in between."""
        statement = item.binding.statement
        parent = tree.parent_map().get(id(statement))
        if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
            return False
        attr = item.binding.attr
        self_name = item.binding.target.value
        if not isinstance(self_name, cst.Name):
            return False
        siblings = list(parent.body)
        index = siblings.index(statement)  # type: ignore[arg-type]
        for later in siblings[index + 1:]:
            if _sets_requires_grad(later, self_name.value, attr):
                return True
            if any(_is_self_attr(n, self_name.value, attr) for n in _walk(later)):
                return False
        return False

    # TPC003 / TPC004

    def plan_modules(self, item: Reported, tree: _ClassTree, assign: cst.Assign) -> Plan | None:
        return self.plan_container(item, tree, assign, MODULE, *tn.MODULE_CONTAINERS)

    def plan_parameters(self, item: Reported, tree: _ClassTree, assign: cst.Assign) -> Plan | None:
        return self.plan_container(item, tree, assign, PARAMETER, *tn.PARAMETER_CONTAINERS)

    def plan_container(self, item: Reported, tree: _ClassTree, assign: cst.Assign, kind: str,
                       list_class: str, dict_class: str) -> Plan | None:
        val = item.binding.value
        if val is None or val.kind != CONTAINER or val.consumed or val.container not in ("list", "tuple", "dict"):
            return None
        if not val.elements or any(e is None or e.kind != kind or e.registered for e in val.elements):
            return None
        if self.other_bindings(item) or self.base_bindings(item, init_too=False):
            return None
        is_dict = val.container == "dict"
        torch_class = dict_class if is_dict else list_class
        python_methods = tn.DICT_METHODS if is_dict else tn.LIST_METHODS
        used = self.methods_used(item.binding.attr) & python_methods
        if used - tn.CONTAINER_METHODS[torch_class]:
            return None
        value = assign.value
        if is_dict:
            if not val.str_keys:
                return None
            if isinstance(value, cst.Dict):
                for element in value.elements:
                    key = string_value(element.key) if isinstance(element, cst.DictElement) else None
                    if key is None or not key or "." in key or key in tn.MODULE_ATTRIBUTES:
                        return None
            elif not (isinstance(value, cst.Name) and self.local_is_private(tree, item.binding.statement, value.value)):
                return None
        else:
            if isinstance(value, cst.Name):
                if not self.local_is_private(tree, item.binding.statement, value.value):
                    return None
            elif isinstance(value, cst.Tuple):
                if len(value.lpar) > 1:
                    return None
            elif not isinstance(value, (cst.List, cst.ListComp)):
                return None

        def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
            old = statement.body[0]
            assert isinstance(old, cst.Assign)
            inner = _unparenthesized(old.value)
            if isinstance(inner, cst.Tuple):
                inner = _tuple_to_list(old.value)  # type: ignore[arg-type]
            empty = isinstance(inner, (cst.List, cst.Dict)) and not inner.elements and not _has_comment(inner)
            args = [] if empty else [cst.Arg(inner)]
            call = cst.Call(_nn_attr(nn, torch_class), args)
            return statement.with_changes(body=[old.with_changes(value=_keep_parens(old.value, call))])
        return Plan(item, rewrite, True)

    # TPC005

    def plan_converted(self, item: Reported, tree: _ClassTree, assign: cst.Assign) -> Plan | None:
        if self.other_bindings(item) or self.base_bindings(item, init_too=False):
            return None
        if self.move_conversion(assign.value, item.binding.value.converted if item.binding.value else None) is None:
            return None
        method = item.binding.value.converted  # type: ignore[union-attr]

        def rewrite(statement: cst.SimpleStatementLine, nn: cst.BaseExpression) -> cst.SimpleStatementLine:
            old = statement.body[0]
            assert isinstance(old, cst.Assign)
            new = self.move_conversion(old.value, method)
            assert new is not None
            return statement.with_changes(body=[old.with_changes(value=new)])
        return Plan(item, rewrite, False)

    def move_conversion(self, node: cst.BaseExpression, method: str | None) -> cst.BaseExpression | None:
        """``nn.Parameter(t, ...).m(args)`` -> ``nn.Parameter(t.m(args), ...)``."""
        if method is None or not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            return None
        func = node.func
        inner = func.value
        if func.attr.value != method or not isinstance(inner, cst.Call) or inner.lpar:
            return None
        if self.qualified(inner.func) not in tn.PARAMETER_CLASSES or any(a.star for a in inner.args):
            return None
        data = next((a for a in inner.args if a.keyword is None), None)
        if data is None:
            data = next((a for a in inner.args
                         if a.keyword is not None and a.keyword.value == tn.PARAMETER_DATA_KEYWORD), None)
        if data is None:
            return None
        moved = cst.Call(
            func.with_changes(value=_atom(data.value)),
            node.args,
            whitespace_after_func=node.whitespace_after_func,
            whitespace_before_args=node.whitespace_before_args,
        )
        args = [a.with_changes(value=moved) if a is data else a for a in inner.args]
        return inner.with_changes(args=args, lpar=node.lpar, rpar=node.rpar)


# --- helpers -----------------------------------------------------------------------------------




def _newline_of(lines: Sequence[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
        if line.endswith("\r"):
            return "\r"
    return "\n"


def _top_level_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """Imports that always run at module level: top-level ones and those in a top-level ``try``."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.Try):
            for inner in node.body:
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    yield inner


def _other_bindings(tree: ast.Module) -> set[str]:
    """Names bound anywhere in the file other than by the imports of :func:`_top_level_imports`."""
    counted = {id(node) for node in _top_level_imports(tree)}
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


def _walk(node: cst.CSTNode, skip: cst.CSTNode | None = None) -> Iterator[cst.CSTNode]:
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


def _nn_attr(nn: cst.BaseExpression, name: str) -> cst.Attribute:
    return cst.Attribute(nn.deep_clone(), cst.Name(name))


def _keyword(name: str, value: str) -> cst.Arg:
    return cst.Arg(cst.Name(value), keyword=cst.Name(name),
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))


def _unparenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` without its own parentheses (they go around the new call instead)."""
    if getattr(node, "lpar", None) and not isinstance(node, cst.Tuple):
        return node.with_changes(lpar=[], rpar=[])
    return node


def _keep_parens(old: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
    if getattr(old, "lpar", None) and not isinstance(old, cst.Tuple):
        return new.with_changes(lpar=old.lpar, rpar=old.rpar)
    return new


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.SimpleString, cst.FormattedString, cst.List,
          cst.Dict, cst.Set, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _atom(node: cst.BaseExpression) -> cst.BaseExpression:
    """``node`` as a receiver of ``.method()``: parenthesized unless it binds tighter already."""
    if isinstance(node, _ATOMS) or getattr(node, "lpar", None):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _drop_arg(args: Sequence[cst.Arg], dropped: cst.Arg) -> list[cst.Arg] | None:
    """``args`` without ``dropped``, commas mended; ``None`` when that would lose a comment."""
    if _has_comment(dropped):
        return None
    kept = [a for a in args if a is not dropped]
    if args[-1] is not dropped or not kept:
        return kept
    last = kept[-1]
    if isinstance(last.comma, cst.Comma) and _has_comment(last.comma):
        return None
    if isinstance(dropped.comma, cst.Comma):  # a trailing comma stays, with its line break
        before = last.comma.whitespace_before if isinstance(last.comma, cst.Comma) else cst.SimpleWhitespace("")
        kept[-1] = last.with_changes(comma=cst.Comma(before, dropped.comma.whitespace_after))
    else:
        kept[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return kept


def _comment_free(node: cst.CSTNode) -> bool:
    return not any(isinstance(n, cst.Comment) for n in _walk(node))


def _newline_in(node: object) -> bool:
    return isinstance(node, cst.CSTNode) and any(isinstance(n, cst.Newline) for n in _walk(node))


def _has_comment(node: cst.CSTNode) -> bool:
    return not _comment_free(node)


def _tuple_to_list(node: cst.Tuple) -> cst.List:
    elements = list(node.elements)
    if len(elements) == 1 and isinstance(elements[0].comma, cst.Comma) and _comment_free(elements[0].comma) \
            and not _newline_in(elements[0].comma):
        elements[0] = elements[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if node.lpar:
        return cst.List(
            elements,
            lbracket=cst.LeftSquareBracket(node.lpar[0].whitespace_after),
            rbracket=cst.RightSquareBracket(node.rpar[0].whitespace_before),
        )
    return cst.List(elements)


def _is_self_attr(node: cst.CSTNode, self_name: str, attr: str) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) \
        and node.value.value == self_name and node.attr.value == attr


def _sets_requires_grad(statement: cst.CSTNode, self_name: str, attr: str) -> bool:
    """``self.<attr>.requires_grad = True`` or ``self.<attr>.requires_grad_()`` / ``(True)``."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and is_true(small.value):
        target = small.targets[0].target
        return isinstance(target, cst.Attribute) and target.attr.value == tn.REQUIRES_GRAD_ATTRIBUTE \
            and _is_self_attr(target.value, self_name, attr)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == tn.REQUIRES_GRAD_METHOD \
                and _is_self_attr(func.value, self_name, attr):
            return not call.args or (len(call.args) == 1 and is_true(call.args[0].value))
    return False
