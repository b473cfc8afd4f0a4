"""The standalone command: ``flake8-param-check [PATH ...]``.

Exit codes: 0 when nothing is reported, 1 when a finding is reported (with ``--diff``: when a file
would change; with ``--fix``: when findings are left), 2 on a usage or configuration error.  A file
that cannot be read, decoded or parsed gets one ``path: error: why`` line on stderr and does not
change the exit code by itself.

A ``*.ipynb`` file is read as a Jupyter notebook (:mod:`.notebook`), anything else as Python.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import difflib
import os
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence, TextIO

from . import __version__
from .analysis import analyze
from .codes import CODES
from .config import BUFFER_STYLES, OPTIONS, ConfigError, Resolved, Selection, Value, find_config
from .config import read_config, resolve
from .discovery import STDIN, discover, is_notebook
from .findings import Finding
from .fixer import fix_source
from .formats import FORMATS, Report, portable_path
from .noqa import NoqaFilter
from .notebook import NotebookError, PythonSource, cell_name, fix_notebook, located, python_source
from .notebook import read_notebook
from .source import decode_source, physical_lines as split_lines
from .settings import Settings

PROG = "flake8-param-check"
PROGRESS_THRESHOLD = 50
CHECK, FIX, DIFF = "check", "fix", "diff"


class FileError(Exception):
    """Why one file cannot be checked or fixed; printed as ``path: error: <why>``."""


# -- one file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    path: str  #: the file to read (``-`` for standard input)
    display: str  #: the name reports use
    settings: Settings
    selection: Selection
    disable_noqa: bool = False
    mode: str = CHECK
    data: bytes | None = None  #: standard input's bytes, read by the main process

    @property
    def source_path(self) -> str | None:
        return None if self.path == STDIN else self.path

    @property
    def notebook(self) -> bool:
        """Read as a notebook: a ``*.ipynb`` path (for stdin, display name), never by content."""
        return is_notebook(self.display if self.path == STDIN else self.path)


@dataclass
class Outcome:
    display: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    fixed: int = 0
    changed: bool = False
    diff: str = ""
    #: In a notebook: for each finding (whose line is then the line in its cell), the cell's
    #: number and the line of the JSON file holding the finding's line.
    cells: list[tuple[int, int]] = field(default_factory=list)

    def reports(self) -> list[Report]:
        if not self.cells:
            return [Report(self.display, finding) for finding in self.findings]
        return [Report(self.display, f, *where) for f, where in zip(self.findings, self.cells)]


def read_bytes(task: Task) -> bytes:
    if task.data is not None:
        return task.data
    try:
        with open(task.path, "rb") as stream:
            return stream.read()
    except OSError as exc:
        raise FileError(exc.strerror or str(exc)) from exc


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding Python itself would use (PEP 263 cookie, BOM, else UTF-8)."""
    try:
        decoded = decode_source(data)
        return decoded.text, decoded.encoding
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise FileError(f"cannot decode: {exc}") from exc


def parse(text: str, display: str) -> ast.Module:
    try:
        return ast.parse(text, filename=display)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise FileError(f"{type(exc).__name__}: {exc.msg}{where}") from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise FileError(f"cannot parse: {type(exc).__name__}: {exc}") from exc


def analyzed(
    text: str, task: Task, tree: ast.Module | None = None, noqa: NoqaFilter | None = None
) -> tuple[list[Finding], str | None]:
    """The findings of ``text`` that the selection and the ``# noqa`` comments let through, and
    why the analysis stopped early, if it did (the findings before that point still count)."""
    noqa = noqa or NoqaFilter(text, disabled=task.disable_noqa)
    if noqa.skips_file:
        return [], None
    if tree is None:
        tree = parse(text, task.display)
    analysis = analyze(text, path=task.source_path, settings=task.settings, tree=tree)
    kept = sorted(f for f in analysis.findings if task.selection(f.code) and noqa.keep(f.line, f.code))
    return kept, analysis.error


def check_text(text: str, task: Task) -> list[Finding]:
    """:func:`analyzed`, where an analysis that stopped early is the file's error."""
    findings, error = analyzed(text, task)
    if error:
        raise FileError(error)
    return findings


def unified_diff(display: str, before: str, after: str) -> str:
    """A diff that ``patch -p1`` applies from the folder the run started in."""
    name = portable_path(display)
    lines = difflib.unified_diff(split_lines(before), split_lines(after), f"a/{name}", f"b/{name}")
    missing = "\n\\ No newline at end of file\n"
    return "".join(line if line.endswith("\n") else line + missing for line in lines)


def _has_write_bit(path: str) -> bool:
    return bool(os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def write_atomically(path: str, data: bytes) -> None:
    """Replace ``path`` by ``data`` through a temporary file beside it, keeping its permissions.

    A file or folder without any write bit counts as read-only even for root.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    for place, what in ((target, "the file"), (folder, "its folder")):
        if not (os.access(place, os.W_OK) and _has_write_bit(place)):
            raise FileError(f"cannot write: {what} is read-only")
    mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def apply_fixes(task: Task, text: str, encoding: str, noqa: NoqaFilter) -> Outcome | None:
    """Fix ``text`` and write (or diff) the result; ``None`` when there is nothing to change."""
    result = fix_source(
        text, path=task.source_path, settings=task.settings, select=task.selection, keep=noqa.keep
    )
    if result.error:
        raise FileError(f"cannot fix: {result.error}")
    if not result.changed or result.source == text:
        return None
    try:
        left = check_text(result.source, task)
    except FileError as exc:
        raise FileError(f"the fix would give code that does not parse ({exc}); left unchanged") from exc
    outcome = Outcome(task.display, left, fixed=len(result.fixed), changed=True)
    if task.mode == DIFF:
        outcome.diff = unified_diff(task.display, text, result.source)
        return outcome
    try:
        write_atomically(task.path, result.source.encode(encoding))
    except (OSError, UnicodeEncodeError) as exc:
        raise FileError(f"cannot write: {getattr(exc, 'strerror', None) or exc}") from exc
    return outcome


def fix_file(task: Task, text: str, encoding: str) -> Outcome:
    """Fix one file; when it cannot be fixed, its error and its findings as they are."""
    noqa = NoqaFilter(text, disabled=task.disable_noqa)
    if noqa.skips_file:
        return Outcome(task.display)
    parse(text, task.display)
    try:
        fixed = apply_fixes(task, text, encoding, noqa)
    except FileError as exc:
        return Outcome(task.display, check_text(text, task), error=str(exc))
    return fixed or Outcome(task.display, check_text(text, task))


# -- one notebook -----------------------------------------------------------------------------


def _joined(*errors: str | None) -> str | None:
    return "; ".join(error for error in errors if error) or None


def notebook_outcome(task: Task, source: PythonSource, noqa: NoqaFilter | None = None) -> Outcome:
    """Check the notebook's Python source: its findings placed in their cells, and its error line
    (the cells left out because they do not parse, and why the analysis stopped, if it did)."""
    noqa = noqa or NoqaFilter(source.text, disabled=task.disable_noqa)
    if noqa.skips_file:
        return Outcome(task.display)
    findings, error = analyzed(source.text, task, source.tree, noqa)
    notebook = source.notebook
    places = located(source, findings)
    return Outcome(
        task.display,
        [finding for _, finding in places],
        error=_joined(*source.errors, source.describe(error) if error else None),
        cells=[(cell.number, notebook.file_line(cell, finding.line)) for cell, finding in places],
    )


def _with_error(outcome: Outcome, error: str) -> Outcome:
    outcome.error = _joined(outcome.error, error)
    return outcome


def fix_notebook_file(task: Task, source: PythonSource) -> Outcome:
    """Fix one notebook: its changed cells written (or diffed), the findings left reported."""
    noqa = NoqaFilter(source.text, disabled=task.disable_noqa)
    if noqa.skips_file:
        return Outcome(task.display)
    fix = fix_notebook(
        source, path=task.source_path, settings=task.settings, select=task.selection, keep=noqa.keep
    )
    if fix.source is None:  # nothing changed, or the fix was refused
        outcome = notebook_outcome(task, source, noqa)
        return _with_error(outcome, f"cannot fix: {fix.error}") if fix.error else outcome
    outcome = notebook_outcome(task, fix.source)
    if outcome.error != _joined(*source.errors):
        error = "cannot fix: the fixed notebook could not be checked; left unchanged"
        return _with_error(notebook_outcome(task, source, noqa), error)
    outcome.fixed, outcome.changed = len(fix.fixed), True
    if task.mode == DIFF:
        outcome.diff = "".join(
            unified_diff(f"{task.display}:{cell_name(index + 1)}", before, after)
            for index, (before, after) in sorted(fix.changed.items())
        )
        return outcome
    data = fix.text.encode("utf-8")
    try:
        write_atomically(task.path, b"\xef\xbb\xbf" + data if source.notebook.bom else data)
    except FileError as exc:
        return _with_error(notebook_outcome(task, source, noqa), str(exc))
    except OSError as exc:
        return _with_error(notebook_outcome(task, source, noqa), f"cannot write: {exc.strerror or exc}")
    return outcome


def run_notebook(task: Task) -> Outcome:
    try:
        notebook = read_notebook(read_bytes(task))
    except NotebookError as exc:
        raise FileError(str(exc)) from exc
    source = python_source(notebook)
    if task.mode == CHECK:
        return notebook_outcome(task, source)
    return fix_notebook_file(task, source)


# -- any file ---------------------------------------------------------------------------------


def run_task(task: Task) -> Outcome:
    """Check (or fix) one file; every failure becomes that file's one error line."""
    try:
        if task.notebook:
            return run_notebook(task)
        text, encoding = decode(read_bytes(task))
        if task.mode == CHECK:
            findings, error = analyzed(text, task)
            return Outcome(task.display, findings, error=error)
        return fix_file(task, text, encoding)
    except FileError as exc:
        return Outcome(task.display, error=str(exc))
    except Exception as exc:  # a bug must not hide the other files' results
        return Outcome(task.display, error=f"internal error: {type(exc).__name__}: {exc}")


# -- many files -------------------------------------------------------------------------------


def _serial(tasks: Sequence[Task]) -> Iterator[Outcome]:
    return map(run_task, tasks)


def run_tasks(tasks: Sequence[Task], jobs: int, progress: TextIO | None = None) -> list[Outcome]:
    """Every task's outcome, in a pool of processes when there is more than one file and job."""
    workers = min(jobs, len(tasks))
    outcomes: list[Outcome] = []
    executor: concurrent.futures.Executor | None = None
    if workers > 1:
        try:
            executor = concurrent.futures.ProcessPoolExecutor(max_workers=workers)
        except (OSError, NotImplementedError):  # no semaphores (some sandboxes): one process
            executor = None
    try:
        if executor is None:
            results: Iterable[Outcome] = _serial(tasks)
        else:
            results = executor.map(run_task, tasks, chunksize=max(1, len(tasks) // (workers * 4)))
        for outcome in results:
            outcomes.append(outcome)
            if progress is not None:
                progress.write(f"\r{PROG}: {len(outcomes)}/{len(tasks)} files")
                progress.flush()
    finally:
        if executor is not None:
            executor.shutdown()
        if progress is not None:
            progress.write("\r\033[K")
            progress.flush()
    return outcomes


# -- the command line -------------------------------------------------------------------------


def _jobs(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number or 'auto', got {value!r}")
    return jobs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find tensors and layers that an nn.Module holds without registering them.",
        epilog="Exit status: 0 clean, 1 findings (--diff: would change; --fix: findings left), "
        "2 usage or configuration error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to check; - is stdin")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--list-codes", action="store_true", help="print the codes and exit")
    parser.add_argument("--format", choices=sorted(FORMATS), default="text", help="output format")
    codes = parser.add_argument_group("what to report (these override the configuration)")
    codes.add_argument("--select", metavar="CODES", help="codes or prefixes to report (default: TPC)")
    codes.add_argument("--extend-select", metavar="CODES", help="codes added to --select")
    codes.add_argument("--ignore", metavar="CODES", help="codes or prefixes not to report")
    codes.add_argument("--extend-ignore", metavar="CODES", help="codes added to --ignore")
    codes.add_argument("--per-file-ignores", metavar="MAP", help="'pattern:codes' pairs, like flake8")
    codes.add_argument("--exclude", metavar="PATTERNS", help="comma separated globs of paths to skip")
    codes.add_argument("--extend-exclude", metavar="PATTERNS", help="globs added to --exclude")
    codes.add_argument("--disable-noqa", action="store_true", help="report findings '# noqa' silences")
    codes.add_argument(
        "--notebooks",
        action=argparse.BooleanOptionalAction,
        help="check Jupyter notebooks (*.ipynb), named or found in folders (default: yes)",
    )
    analysis = parser.add_argument_group("analysis")
    analysis.add_argument(
        "--module-bases", metavar="NAMES", help="extra nn.Module base classes, qualified names"
    )
    analysis.add_argument("--buffer-style", choices=BUFFER_STYLES, help="how --fix registers a tensor")
    config = parser.add_argument_group("configuration")
    config.add_argument("--config", metavar="FILE", help="read this file instead of searching for one")
    config.add_argument("--isolated", action="store_true", help="ignore every configuration file")
    run = parser.add_argument_group("running")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--fix", action="store_true", help="rewrite the files to fix what can be fixed")
    mode.add_argument("--diff", action="store_true", help="print the fixes as a diff for patch -p1")
    cpus = os.cpu_count() or 1
    run.add_argument("-j", "--jobs", type=_jobs, default=cpus, help="processes (default: CPU count)")
    run.add_argument("--stdin-display-name", default="stdin", metavar="NAME", help="how stdin is reported")
    return parser


def load_options(args: argparse.Namespace) -> Resolved:
    """The configuration file's options, overridden by those given on the command line."""
    values: dict[str, Value] = {}
    if not args.isolated:
        path = args.config or find_config(os.curdir)
        if path:
            values.update(read_config(path))
    cwd = os.getcwd()
    for option in OPTIONS:
        given = getattr(args, option)
        if isinstance(given, bool):
            given = "true" if given else "false"
        if given is not None:
            values[option] = Value(given, cwd)
    return resolve(values)


def make_tasks(args: argparse.Namespace, options: Resolved, files: Sequence[str]) -> list[Task]:
    mode = FIX if args.fix else DIFF if args.diff else CHECK
    tasks = []
    for path in files:
        display = args.stdin_display_name if path == STDIN else path
        data = sys.stdin.buffer.read() if path == STDIN else None
        selection = options.selection.ignoring(options.per_file_ignores.codes_for(display))
        tasks.append(Task(path, display, options.settings, selection, args.disable_noqa, mode, data))
    return tasks


def list_codes(out: TextIO) -> None:
    for code in CODES.values():
        out.write(f"{code.code}  {code.name:<28} {code.summary}\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(outcomes: Sequence[Outcome], mode: str) -> str:
    changed = sum(o.changed for o in outcomes)
    fixed = sum(o.fixed for o in outcomes)
    left = sum(len(o.findings) for o in outcomes)
    verb = ("would change", "would fix") if mode == DIFF else ("changed", "fixed")
    return (
        f"{PROG}: {_plural(changed, 'file')} {verb[0]}, {_plural(fixed, 'finding')} {verb[1]}, "
        f"{_plural(left, 'finding')} left\n"
    )


def report(outcomes: Sequence[Outcome], args: argparse.Namespace) -> int:
    """Print the outcomes and return the exit status."""
    ordered = sorted(outcomes, key=lambda o: o.display)
    for outcome in ordered:
        if outcome.error:
            sys.stderr.write(f"{outcome.display}: error: {outcome.error}\n")
    reports = [report for o in ordered for report in o.reports()]
    if args.diff:
        sys.stdout.write("".join(o.diff for o in ordered))
    else:
        sys.stdout.write(FORMATS[args.format](reports))
    sys.stdout.flush()
    if args.fix or args.diff:
        sys.stderr.write(summary(ordered, DIFF if args.diff else FIX))
    if args.diff:
        return int(any(o.changed for o in ordered))
    return int(bool(reports))


def usage_error(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 2
    if args.list_codes:
        list_codes(sys.stdout)
        return 0
    try:
        options = load_options(args)
    except ConfigError as exc:
        return usage_error(str(exc))
    paths = args.paths or [os.curdir]
    if args.fix and STDIN in paths:
        return usage_error("--fix cannot rewrite standard input; use --diff")
    tasks = make_tasks(args, options, discover(paths, options.excludes, options.notebooks))
    show_progress = len(tasks) > PROGRESS_THRESHOLD and sys.stderr.isatty()
    try:
        outcomes = run_tasks(tasks, args.jobs, sys.stderr if show_progress else None)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    return report(outcomes, args)


if __name__ == "__main__":
    sys.exit(main())
