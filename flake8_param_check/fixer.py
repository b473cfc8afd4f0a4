"""The autofixer's driver: analyses the file, asks each finding's rule for a plan, rewrites.

How it stays safe
-----------------
The analysis parses every Module class on its own (a *segment*, see
:meth:`~flake8_param_check.index.FileIndex.segment`) and each finding keeps the libcst statement it
was found on.  Finding by finding, the finding's rule decides whether a rewrite is certainly right:
its ``plan_fix(site)`` (see :mod:`.rules` and :mod:`.rules._fixkit`) answers with a
:class:`~.rules._fixkit.Plan` or ``None``.  Then one :class:`_Rewriter` runs over the
already-parsed segment of each class and the printed segment is put back in place of the class's
lines.  libcst prints every node it was not asked to change exactly as it was read, so the only
text that changes is the rewritten statements (and, when the file has no usable name for
``torch.nn``, one inserted ``from torch import nn`` line).  A class nested in another class that
also has fixes is rewritten inside the outer class's segment: its statements are found there by
their position in the file.

What is rewritten
-----------------
Each rule's module says what its fix does (``plan_fix``, and ``FIX_TEXT`` for the docs); anything
else is left as it is and counted as *unfixed*.  A statement is only offered to a planner when it
is a plain ``self.x = value`` alone on its line that does not run before ``super().__init__()``
(:meth:`~.rules._fixkit.FixSite.at`); the planners add, through the site's questions, that the
attribute is not assigned anywhere else in a way the new value would reject (a plain list over a
registered ``ModuleList``, a plain tensor over a Parameter), that the name cannot collide with a
Module attribute, and that a local name handed over is not used afterwards (the new container or
Parameter is a copy, not the same object).

Counting: :attr:`FixResult.fixed` holds the findings rewritten, :attr:`FixResult.unfixed` the other
findings that ``select`` and ``keep`` accept.  Findings that ``select`` or ``keep`` reject (other
codes, ``# noqa``) are in neither list and their lines are never touched.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import libcst as cst

from . import torch_names as tn
from .classwalk import Binding
from .findings import Finding
from .rules import BY_CODE
from .analysis import Reported, analyze_detailed
from .rules._fixkit import ClassTree, Plan, bound_elsewhere, site_at, top_level_imports
from .settings import DEFAULT, Settings
from .source import physical_lines as split_lines

if TYPE_CHECKING:  # pragma: no cover
    from .index import Span

#: Replace lines ``start..end`` (1-based, inclusive; ``end = start - 1`` inserts) by these.
Edit = tuple[int, int, list[str]]


@dataclass
class FixResult:
    source: str  #: the rewritten text (the input itself when nothing changed)
    fixed: list[Finding] = field(default_factory=list)
    unfixed: list[Finding] = field(default_factory=list)
    error: str | None = None
    #: The first lines of the statements rewritten: a finding's own, or the earlier binding its
    #: rule fixes instead (TPC001 at ``self.pe = None`` for a later ``self.pe = table``).
    rewritten: list[int] = field(default_factory=list)

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
        self.trees: dict[tuple[int, int], ClassTree | None] = {}

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
        if detailed.session is None:  # code that cannot hold a Module class: nothing to fix
            return FixResult(source)
        self.session = detailed.session
        self.rewritten: list[int] = []
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
            nn_text, insertion = nn_name(self.tree, self.lines)
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
        needed = sorted({line for p in plans if p.item.finding in fixed for line in p.imports})
        edits.extend(_insertion(self.tree, self.lines, line + _newline_of(self.lines)) for line in needed)
        result = self.splice(edits)
        try:
            ast.parse(result)
        except (SyntaxError, ValueError) as exc:  # never expected: report, change nothing
            error = f"internal error: the fix does not parse ({exc})"
            return FixResult(source, [], sorted(unfixed + fixed), error=error)
        return FixResult(result, sorted(fixed), sorted(unfixed), rewritten=sorted(self.rewritten))

    def tree_for(self, span: Span) -> ClassTree | None:
        key = (span.start, span.end)
        if key not in self.trees:
            parsed = self.session.parse(span)
            tree = None
            if parsed is not None:
                text, _ = self.session.symbols.index.segment(span)
                original = "".join(self.lines[span.start - 1: span.end])
                if span.indent > 0:
                    original = "if 1:\n" + original
                # The segment the analysis parsed must be exactly the file's lines (form feeds and
                # other odd line breaks could make them differ): else the class is left alone.
                if text == original and parsed[0].code == original:
                    tree = ClassTree(span, parsed[0])
            self.trees[key] = tree
        return self.trees[key]

    def apply(self, plans: list[Plan], nn: cst.BaseExpression | None
              ) -> tuple[list[Edit], list[Finding], list[Finding]]:
        """Rewrite each class (outermost first); the line edits, fixed and unfixed findings."""
        spans: dict[tuple[int, int], Span] = {}
        for plan in plans:
            span = plan.binding.span
            spans[(span.start, span.end)] = span

        def root_of(span: Span) -> Span:
            best = span
            for other in spans.values():
                inside = other.start <= best.start and best.end <= other.end
                if inside and (other.end - other.start) > (best.end - best.start):
                    best = other
            return best

        groups: dict[tuple[int, int], dict[int, Plan]] = {}
        riders: dict[int, list[Plan]] = {}
        unfixed: list[Finding] = []
        positions: dict[tuple[int, int], dict[tuple[int, int], cst.SimpleStatementLine]] = {}
        for plan in plans:
            span = plan.binding.span
            root = root_of(span)
            root_tree = self.tree_for(root)
            statement = plan.binding.statement
            target: cst.CSTNode | None = None
            if root_tree is not None:
                if (root.start, root.end) == (span.start, span.end):
                    target = statement if root_tree.holds(statement) else None
                else:
                    key = (root.start, root.end)
                    if key not in positions:
                        root_tree.parent_map()
                        assert root_tree.statements is not None
                        positions[key] = {self.session.position(root, node): node
                                          for node in root_tree.statements.values()}
                    target = positions[key].get(self.session.position(span, statement))
            group = groups.setdefault((root.start, root.end), {})
            if target is not None and id(target) in group and group[id(target)].binding is plan.binding:
                riders.setdefault(id(target), []).append(plan)  # the same rewrite fixes both
                continue
            if target is None or id(target) in group:
                unfixed.append(plan.item.finding)
                continue
            group[id(target)] = plan
        edits: list[Edit] = []
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
            for node_id, plan in group.items():
                done = node_id in rewriter.done
                for each in (plan, *riders.get(node_id, ())):
                    (fixed if done else unfixed).append(each.item.finding)
                if done:
                    self.rewritten.append(self.session.position(plan.binding.span, plan.binding.target)[0])
        return edits, fixed, unfixed

    def splice(self, edits: list[Edit]) -> str:
        """The file's lines with the edits made."""
        lines = list(self.lines)
        for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[start - 1: end] = new
        return "".join(lines)

    def plan(self, item: Reported) -> Plan | None:
        """The plan of the finding's rule for its statement, when the rule has a planner and the
        statement is one a fix may rewrite."""
        plan_fix = BY_CODE[item.finding.code].plan_fix
        tree = self.tree_for(item.binding.span)
        if plan_fix is None or tree is None:
            return None
        rule = BY_CODE[item.finding.code]
        target = None
        if isinstance(item.binding, Binding):
            target = rule.fix_target(item.binding) if hasattr(rule, "fix_target") else None
            if target is None and (item.binding.rebound or item.binding.first is not None):
                return None
        site = site_at(item, tree, self.session, self.settings, self.source, target)
        return None if site is None else plan_fix(site)


# --- the name of torch.nn ----------------------------------------------------------------------

def nn_name(tree: ast.Module, lines: Sequence[str]) -> tuple[str | None, Edit | None]:
    """The expression for ``torch.nn`` in the file of ``tree`` and ``lines`` and, when an import
    must be added, the edit inserting it."""
    imported: dict[str, str] = {}
    for node in top_level_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imported.setdefault(alias.asname, alias.name)
                else:
                    imported.setdefault(alias.name.split(".", 1)[0], alias.name.split(".", 1)[0])
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                imported.setdefault(alias.asname or alias.name, f"{node.module}.{alias.name}")
    shadowed = bound_elsewhere(tree)
    usable = {name: qual for name, qual in imported.items() if name not in shadowed}
    preferred = tn.NN_IMPORTS[0][0]
    for wanted, spelling in tn.NN_SPELLINGS:
        names = sorted((n for n, q in usable.items() if q == wanted), key=lambda n: (n != preferred, n))
        if names:
            return spelling.format(name=names[0]), None
    taken = shadowed | set(imported)
    newline = _newline_of(lines)
    for name, line, expression in tn.NN_IMPORTS:
        if name not in taken:
            return expression, _insertion(tree, lines, line + newline)
    return None, None


def _insertion(tree: ast.Module, lines: Sequence[str], line: str) -> Edit:
    """The edit adding ``line`` after the file's last top-level import (or docstring)."""
    body = tree.body
    after = 0
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            after = node.end_lineno or node.lineno
    if not after and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        after = body[0].end_lineno or body[0].lineno
    if after:
        previous = lines[after - 1]
        if not previous.endswith(("\n", "\r")):  # the file's last line, without newline
            return (after, after, [previous + _newline_of(lines), line.rstrip("\r\n")])
        return (after + 1, after, [line])
    first = body[0]
    start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
    return (start, start - 1, [line])


def _newline_of(lines: Sequence[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
        if line.endswith("\r"):
            return "\r"
    return "\n"
