"""Source text in, findings out: the one code path every route shares.

source -> ``ast`` outline (:mod:`.index`) -> Module classes (:mod:`.symbols`, :mod:`.project`) ->
a cheap look at each (:mod:`.gate`) -> libcst parse of the classes that may hold a finding
(:mod:`.session`) -> class walk and tensor inference (:mod:`.classwalk`, :mod:`.inference`) ->
rules (:mod:`.rules`) -> :class:`~.findings.Finding` s, which flake8, the CLI and the fixer use.
See ``docs/architecture.md``.
"""

from __future__ import annotations

import ast
import gc
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from .findings import Analysis, Finding
from .project import Project, module_of
from .settings import DEFAULT, Settings
from .source import physical_lines

if TYPE_CHECKING:  # pragma: no cover
    from .classwalk import ClassSummary, Fact
    from .index import FunctionInfo
    from .session import Session
    from .symbols import FileSymbols


@dataclass
class Reported:
    """A finding with what it was found on: the fixer rewrites ``binding.statement``.  ``binding``
    is the fact the rule judged (a :class:`~.classwalk.Binding` or another fact), ``summary`` its
    class (``None`` for a function outside a Module class)."""

    finding: Finding
    binding: Fact
    summary: ClassSummary | None


@dataclass
class Detailed:
    session: Session | None
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
    with _collector_paused():
        detailed = analyze_detailed(source, path=path, settings=settings, tree=tree)
        if detailed.session is not None:
            detailed.session.close()
    return Analysis(sorted({r.finding for r in detailed.reported}), detailed.error)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep Python's cyclic garbage collector out of one file's analysis.

    The analysis frees what it builds by reference counting (:meth:`.FileContext.close` breaks
    the few cycles), so a collection during it finds nothing of ours to free; but its
    allocations would start collections, and each full one walks everything the host (flake8)
    holds.  Allocations and frees balance out over a file, so once it is done the collector
    runs as often as it would have without the plugin.  Measured inside flake8 on transformers:
    this removes about a third of the plugin's added time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        if tree is None:
            tree = ast.parse(source)
        deep = settings.mentions_torch(source)
        if not deep and not _imports_reach_torch(source, path, settings):
            return Detailed(None)
        symbols = file_symbols(source, path, settings, tree, deep)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Detailed(None, error=_describe(exc))
    # libcst comes with these: a run over code that never reaches torch does not import it.
    from .gate import worth_parsing
    from .inference import Budget
    from .rules import judge, judge_facts
    from .session import Session

    session = Session(symbols, complete=complete)
    result = Detailed(session)
    try:
        for info in symbols.index.classes:
            if not info.bases:
                continue
            # The gate first: it reads nothing else, where deciding Module-ness may read the
            # files that define the bases.
            inherited = partial(symbols.inherits_state, info)
            if settings.gate and not worth_parsing(info, symbols, inherited):
                continue
            if not symbols.is_module_class(info):
                continue
            summary = session.class_summary(info)
            if summary is None:
                continue
            for binding, code, fields in judge(summary):
                line, col = session.position(binding.span, binding.target)
                texts = {key: _field_text(value, session) for key, value in fields.items()}
                finding = Finding(line, col, code, binding.attr, tuple(sorted(texts.items())))
                result.reported.append(Reported(finding, binding, summary))
        if deep:
            # Outside Module classes: the conversions whose result is dropped (``x.to(d)``).
            for function in _discarding_functions(symbols, settings.gate):
                for fact, code, fields in judge_facts(session.function_facts(function)):
                    line, col = session.position(fact.span, fact.target)
                    texts = {key: _field_text(value, session) for key, value in fields.items()}
                    finding = Finding(line, col, code, fact.attr, tuple(sorted(texts.items())))
                    result.reported.append(Reported(finding, fact, None))
    except Budget:
        result.error = "analysis stopped: the file exceeds the work bound"
    except RecursionError:
        result.error = "analysis stopped: nesting too deep"
    except Exception as exc:  # a bug of ours must never stop a lint run
        result.error = f"internal error: {_describe(exc)}"
    if result.error is None and session.unparsed:
        lines = ", ".join(map(str, sorted(set(session.unparsed))[:5]))
        result.error = f"not checked: libcst cannot parse the definition at line {lines}"
    return result


def _discarding_functions(symbols: FileSymbols, gated: bool = True) -> Iterator[FunctionInfo]:
    """The functions outside Module classes (module-level functions, methods of other classes)
    with an expression statement that may convert a tensor and drop the result (``gated``: as
    the gate judges its receiver; else every such statement)."""
    from .gate import Gate

    index = symbols.index
    candidates = [f for f in index.functions.values() if f.discards]
    for info in index.classes:
        methods = [f for f in info.methods.values() if f.discards]
        if methods and not (info.bases and symbols.is_module_class(info)):
            candidates.extend(methods)
    gate = Gate(symbols, None, lambda: False)
    for function in candidates:
        if not gated or gate.discards_tensor(function, self_known=False):
            yield function


def _field_text(value: object, session: Session) -> str:
    """A message field: text, or a function of where bindings are (``line(binding)``), for a
    message that names another statement's line."""
    if callable(value):
        return str(value(lambda binding: session.position(binding.span, binding.target)[0]))
    return str(value)


def _describe(exc: BaseException) -> str:
    """``Type: text`` of an exception, short, and safe even when its text cannot be made (an
    error holding a deep tree whose repr recurses without end)."""
    try:
        text = str(exc)
    except Exception:  # includes RecursionError
        text = ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _imports_reach_torch(source: str, path: str | None, settings: Settings) -> bool:
    """For a file that does not mention torch: whether it imports from a file of its project
    that does, directly or through that file's own imports, the only way it can define an
    nn.Module class.  Read from the text alone, so that code without torch (most of what flake8
    is run on) costs a few substring searches and no outline."""
    if path is None or not settings.cross_file:
        return False
    project, package = Project.for_file(path, settings)
    return project.imports_reach_torch(source, package)


def file_symbols(source: str, path: str | None, settings: Settings, tree: ast.Module,
                 deep: bool) -> FileSymbols:
    """``deep``: the source mentions torch (see :class:`.index.FileIndex`)."""
    from .index import FileIndex
    from .symbols import FileSymbols

    project = None
    package = module = None
    if path is not None and settings.cross_file:
        project, package = Project.for_file(path, settings)
        module = module_of(path, package)
    return FileSymbols(FileIndex(tree, physical_lines(source), package, deep, module), settings, project)
