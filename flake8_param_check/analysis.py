"""Source text in, findings out: the one code path every route shares.

source -> ``ast`` outline (:mod:`.index`) -> Module classes (:mod:`.context`) -> libcst parse of
each Module class -> class walk and tensor inference (:mod:`.checker`, :mod:`.inference`) ->
rules (:mod:`.rules`) -> :class:`~.findings.Finding` s, which flake8, the CLI and the fixer use.
"""

from __future__ import annotations

import ast

from .context import FileContext
from .findings import Analysis, Finding
from .gate import worth_parsing
from .index import FileIndex
from .inference import Budget
from .project import Project
from .rules import findings as rule_findings
from .settings import DEFAULT, Settings


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
    try:
        context = file_context(source, path, settings, tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Analysis([], error=f"{type(exc).__name__}: {exc}")
    found: list[Finding] = []
    index = context.index
    known = frozenset(index.imports.aliases) | index.imports.local_names
    try:
        for info in index.classes:
            if not info.bases or not context.is_module_class(info):
                continue
            project_base = any(ref.is_module() for ref in context.base_refs(info)) or context.inherits_torch_layer(info)
            if not worth_parsing(info, index.lines, project_base, known):
                continue
            summary = context.summary(info)
            if summary is not None:
                found.extend(rule_findings(summary))
    except Budget:
        return Analysis(sorted(set(found)), error="analysis stopped: the file exceeds the work bound")
    except RecursionError:
        return Analysis(sorted(set(found)), error="analysis stopped: nesting too deep")
    except Exception as exc:  # a bug of ours must never stop a lint run
        return Analysis(sorted(set(found)), error=f"internal error: {type(exc).__name__}: {exc}")
    return Analysis(sorted(set(found)))


def file_context(source: str, path: str | None, settings: Settings, tree: ast.Module | None) -> FileContext:
    if tree is None:
        tree = ast.parse(source)
    project = None
    package = None
    if path is not None and settings.cross_file:
        project, package = Project.for_file(path, settings)
    context = FileContext(FileIndex(tree, source.splitlines(keepends=True), package), settings, project)
    if project is not None and path is not None:
        project.add(path, context)
    return context
