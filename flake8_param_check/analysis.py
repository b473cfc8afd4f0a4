"""Source text in, findings out: the one code path every route shares.

source -> ``ast`` outline (:mod:`.index`) -> Module classes (:mod:`.context`) -> a cheap look at
each (:mod:`.gate`) -> libcst parse of the classes that may hold a finding -> class walk and tensor
inference (:mod:`.checker`, :mod:`.inference`) -> rules (:mod:`.rules`) ->
:class:`~.findings.Finding` s, which flake8, the CLI and the fixer use.
"""

from __future__ import annotations

import ast
from functools import partial
from dataclasses import dataclass, field

from .checker import Binding, ClassSummary
from .context import FileContext
from .findings import Analysis, Finding
from .gate import worth_parsing
from .index import FileIndex
from .inference import Budget
from .project import Project, module_of
from .rules import judge
from .settings import DEFAULT, Settings
from .source import physical_lines
from .torch_names import TORCH_WORDS


@dataclass
class Reported:
    """A finding with what it was found on: the fixer rewrites ``binding.statement``."""

    finding: Finding
    binding: Binding
    summary: ClassSummary


@dataclass
class Detailed:
    context: FileContext | None
    reported: list[Reported] = field(default_factory=list)
    error: str | None = None


def analyze(
    source: str,
    *,
    path: str | None = None,
    settings: Settings = DEFAULT,
    tree: ast.Module | None = None,
) -> Analysis:
    """Find unregistered state in the nn.Module classes of ``source``.

    ``path`` (when the source is a real file) lets the analysis follow imports to other files of
    the same source tree; ``tree`` is flake8's already-built ``ast`` of the same source.  Never
    raises: a source that cannot be parsed gives ``Analysis([], error=...)``.
    """
    detailed = analyze_detailed(source, path=path, settings=settings, tree=tree)
    if detailed.context is not None:
        detailed.context.close()
    return Analysis(sorted({r.finding for r in detailed.reported}), detailed.error)


def analyze_detailed(
    source: str,
    *,
    path: str | None = None,
    settings: Settings = DEFAULT,
    tree: ast.Module | None = None,
    complete: bool = False,
) -> Detailed:
    """:func:`analyze`, keeping each finding's binding and class (for the fixer).  With
    ``complete`` every method is walked, so that each class's summary lists every assignment."""
    try:
        context = file_context(source, path, settings, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Detailed(None, error=_describe(exc))
    context.complete = complete
    result = Detailed(context)
    index = context.index
    if not index.deep and not _may_import_modules(context, settings):
        return result
    try:
        for info in index.classes:
            if not info.bases:
                continue
            # The gate first: it reads nothing else, where deciding Module-ness may read the
            # files that define the bases.
            inherited = partial(context.inherits_state, info)
            if settings.gate and not worth_parsing(info, context, inherited):
                continue
            if not context.is_module_class(info):
                continue
            summary = context.summary(info)
            if summary is None:
                continue
            for binding, code, fields in judge(summary):
                line, col = context.position(binding.span, binding.target)
                finding = Finding(line, col, code, binding.attr, tuple(sorted(fields.items())))
                result.reported.append(Reported(finding, binding, summary))
    except Budget:
        result.error = "analysis stopped: the file exceeds the work bound"
    except RecursionError:
        result.error = "analysis stopped: nesting too deep"
    except Exception as exc:  # a bug of ours must never stop a lint run
        result.error = f"internal error: {_describe(exc)}"
    if result.error is None and context.unparsed:
        lines = ", ".join(map(str, sorted(set(context.unparsed))[:5]))
        result.error = f"not checked: libcst cannot parse the definition at line {lines}"
    return result


def _describe(exc: BaseException) -> str:
    """``Type: text`` of an exception, short, and safe even when its text cannot be made (an
    error holding a deep tree whose repr recurses without end)."""
    try:
        text = str(exc)
    except Exception:  # includes RecursionError
        text = ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _may_import_modules(context: FileContext, settings: Settings) -> bool:
    """For a file that never mentions torch: whether it imports from a file of the project that
    does (directly or through its own imports), the only way it can hold a Module class."""
    project = context.project
    if settings.module_bases:
        return True
    if project is None:
        return False
    return any(project.reaches_torch(qualname) for qualname in context.index.imports.aliases.values())


def file_context(source: str, path: str | None, settings: Settings, tree: ast.Module | None) -> FileContext:
    if tree is None:
        tree = ast.parse(source)
    project = None
    package = module = None
    if path is not None and settings.cross_file:
        project, package = Project.for_file(path, settings)
        module = module_of(path, package)
    deep = any(word in source for word in TORCH_WORDS) or any(
        base.rpartition(".")[2] in source for base in settings.module_bases
    )
    return FileContext(FileIndex(tree, physical_lines(source), package, deep, module), settings, project)

