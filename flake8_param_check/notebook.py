"""Jupyter notebooks: their code cells read as one Python source, fixes written back into the JSON.

Reading.  The code cells are joined in order into one *Python source*, each starting on a known
line, so that the analysis (and cross-file resolution, through the notebook's own path) runs on it
as on a ``.py`` file; a finding's line is mapped back to (cell, line in the cell).  Cells are
numbered as Ruff numbers them: 1-based over **all** the cells of the notebook, markdown and raw
cells included, which is the position a notebook editor shows.

What is not Python is left out without moving any line: an IPython escape at the start of a logical
line (``%magic``, ``!shell``, ``?help``, ``help?``, ``x = !cmd``, ``x = %magic``...) becomes an empty
line (``pass`` when indented, so that its block stays valid); a cell magic (``%%bash``,
``%%writefile``...) blanks the whole cell, except those that run the rest of the cell as Python
(``%%time``, ``%%timeit``, ``%%capture``...), which blank their own line only.  A cell that does not
parse is blanked too and named in :attr:`PythonSource.errors`: the other cells are still checked.
``from __future__`` imports are blanked, as Jupyter accepts them in any cell.

Writing.  The fixer rewrites the Python source; the changed lines are mapped back to their cells,
and only those cells' ``source`` values are replaced in the original JSON text, in the same form (a
list of lines or one string), the elements that did not change kept byte for byte.  Everything
else (indentation, key order, outputs, metadata, the final newline) is the file's own text.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from .findings import Finding
from .fixer import fix_source
from .settings import DEFAULT, Settings
from .source import physical_lines

#: Cell magics that run the rest of the cell as Python (Ruff's list).
PYTHON_CELL_MAGICS = frozenset({"capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit"})
SUPPORTED_FORMAT = 4

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
_CELL_MAGIC = re.compile(r"%%([\w.-]*)")
#: ``obj?``, ``obj.attr??``, ``%magic?``: IPython's help at the end of a line.
_HELP_END = re.compile(r"[ \t]*%{0,2}[A-Za-z_*][\w*]*(?:\.[A-Za-z_*][\w*]*)*\?\??[ \t]*\Z")
#: ``files = !ls``, ``out = %time f()``: an assignment from a shell escape or a line magic.
_ASSIGN_ESCAPE = re.compile(r"[ \t]*[\w.\[\], \t()*]+=[ \t]*(?:!|%{1,2}[A-Za-z_])")
#: What can start no Python statement: IPython's escape characters.
_ESCAPES = ("%", "!", "?", "/", ",", ";")
_LEXEMES = re.compile(r"""[#'"\\()\[\]{}]""")
_LINE_NUMBERS = re.compile(r"\bline (\d+(?:, \d+)*)")


class NotebookError(Exception):
    """Why a file cannot be read (or written) as a notebook: printed as one error line."""


def cell_name(number: int) -> str:
    return f"cell_{number}"


# -- the JSON document ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    index: int  #: 0-based position among all the cells
    kind: str  #: ``cell_type``
    source: str
    span: tuple[int, int]  #: where the ``source`` value is in the JSON text
    parts: tuple[tuple[int, int], ...] | None  #: the spans of its strings; ``None``: one string
    python: bool = True  #: a code cell of the notebook's language (not another one, e.g. VS Code's)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def is_code(self) -> bool:
        return self.kind == "code"


@dataclass(frozen=True)
class Notebook:
    text: str  #: the JSON text (without a byte-order mark)
    cells: tuple[Cell, ...]
    python: bool  #: the kernel's language is Python (or not said)
    bom: bool = False

    @property
    def code_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.is_code]

    def file_line(self, cell: Cell, line: int) -> int:
        """The line of the JSON file holding line ``line`` (1-based) of ``cell``."""
        at = cell.span[0]
        if cell.parts:  # a list of strings: the string where the line starts
            offset = _line_offset(cell.source, line)
            starts, total = [], 0
            for start, _ in cell.parts:
                starts.append(total)
                total += len(_DECODER.raw_decode(self.text, start)[0])
            at = cell.parts[max(bisect.bisect_right(starts, offset) - 1, 0)][0]
        return self.text.count("\n", 0, at) + 1

    def with_sources(self, sources: Mapping[int, str]) -> str:
        """The JSON text with the sources of the cells in ``sources`` (by index) replaced."""
        text = self.text
        edits = []
        for index, source in sources.items():
            cell = self.cells[index]
            edits.append((cell.span, self._encoded(cell, source)))
        for (start, end), new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        return text

    def _encoded(self, cell: Cell, source: str) -> str:
        """``source`` as the JSON value of ``cell``'s source, in the form and layout it had: in a
        list, the strings that did not change, and the whitespace between strings, are kept."""
        ascii_only = self.text.isascii()
        if cell.parts is None:
            return _dumps(source, ascii_only)
        parts = cell.parts
        if not parts:
            return json.dumps(source.splitlines(True), ensure_ascii=ascii_only) if source else "[]"
        old = [self.text[a:b] for a, b in parts]
        values = [_DECODER.raw_decode(self.text, a)[0] for a, _ in parts]
        new = _split_like(values, source)
        head = 0
        while head < min(len(old), len(new)) and values[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and values[-1 - tail] == new[-1 - tail]:
            tail += 1
        middle = [_dumps(line, ascii_only) for line in new[head: len(new) - tail]]
        items = old[:head] + middle + old[len(old) - tail:]
        if not items:
            return "[]"
        gaps = [self.text[parts[i][1]: parts[i + 1][0]] for i in range(len(parts) - 1)]
        usual = max(gaps, key=gaps.count) if gaps else ","
        if not gaps:
            opening = self.text[cell.span[0] + 1: parts[0][0]]
            usual = "," + opening if "\n" in opening else ", "
        same_count = len(items) == len(old)
        joined = items[0]
        for k in range(1, len(items)):
            from_end = len(items) - 1 - k  # the gap before item k, counted from the last gap
            if k <= head or same_count:
                gap = gaps[k - 1] if k - 1 < len(gaps) else usual
            elif from_end < tail:
                gap = gaps[len(gaps) - 1 - from_end]
            else:
                gap = usual
            joined += gap + items[k]
        opening = self.text[cell.span[0] + 1: parts[0][0]]
        closing = self.text[parts[-1][1]: cell.span[1] - 1]
        return "[" + opening + joined + closing + "]"


def _split_like(parts: list[str], source: str) -> list[str]:
    """``source`` as a list of lines, split as the notebook split it: nbformat splits with
    ``str.splitlines`` (at form feeds and other breaks too), some editors at ``\\n`` only."""
    if any(len(part.splitlines()) > 1 for part in parts):
        return re.findall(r"[^\n]*\n|[^\n]+", source)
    return source.splitlines(True)


def _dumps(text: str, ascii_only: bool) -> str:
    # a lone surrogate (JSON allows one, escaped) must stay escaped to be written as UTF-8
    surrogate = any("\ud800" <= char <= "\udfff" for char in text)
    return json.dumps(text, ensure_ascii=ascii_only or surrogate)


def _indent_of(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _line_offset(text: str, line: int) -> int:
    lines = physical_lines(text)
    return sum(len(item) for item in lines[: line - 1])


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    assert match is not None
    return match.end()


def _value_end(text: str, at: int) -> int:
    return _DECODER.raw_decode(text, at)[1]


def _walk_object(text: str, at: int, visit: Callable[[str, int], int]) -> int:
    """Call ``visit(key, start) -> end`` on each member's value of the JSON object at ``at``;
    where the object ends."""
    at = _skip(text, at + 1)
    if text[at] == "}":
        return at + 1
    while True:
        key, at = _DECODER.raw_decode(text, at)
        at = _skip(text, _skip(text, at) + 1)  # past the colon
        at = _skip(text, visit(key, at))
        if text[at] == "}":
            return at + 1
        at = _skip(text, at + 1)  # past the comma


def _walk_array(text: str, at: int, visit: Callable[[int], int]) -> int:
    """Call ``visit(start) -> end`` on each value of the JSON array at ``at``; where it ends."""
    at = _skip(text, at + 1)
    if text[at] == "]":
        return at + 1
    while True:
        at = _skip(text, visit(at))
        if text[at] == "]":
            return at + 1
        at = _skip(text, at + 1)


def _source_spans(text: str) -> list[tuple[tuple[int, int], tuple[tuple[int, int], ...] | None]]:
    """For each cell of the (valid) notebook ``text``: the span of its ``source`` value and, when
    that value is a list, the span of each of its strings."""
    found: list[tuple[tuple[int, int], tuple[tuple[int, int], ...] | None]] = []

    def source(start: int) -> tuple[tuple[int, int], tuple[tuple[int, int], ...] | None]:
        if text[start] != "[":
            return (start, _value_end(text, start)), None
        parts: list[tuple[int, int]] = []

        def part(at: int) -> int:
            end = _value_end(text, at)
            parts.append((at, end))
            return end

        end = _walk_array(text, start, part)
        return (start, end), tuple(parts)

    def cell(start: int) -> int:
        spans: list[tuple[tuple[int, int], tuple[tuple[int, int], ...] | None]] = []

        def member(key: str, at: int) -> int:
            if key == "source":
                spans.append(source(at))
                return spans[-1][0][1]
            return _value_end(text, at)

        end = _walk_object(text, start, member)
        found.append(spans[-1] if spans else ((start, start), None))
        return end

    def top(key: str, at: int) -> int:
        if key == "cells":
            found.clear()  # a repeated key: the last one counts, as for json.loads
            return _walk_array(text, at, cell)
        return _value_end(text, at)

    _walk_object(text, _skip(text, 0), top)
    return found


def _is_python(language: str | None) -> bool:
    """Whether a notebook's (or a cell's) language is Python: unsaid counts as Python."""
    return language is None or language.startswith(("python", "ipython"))


def _language(metadata: object) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        value = metadata.get(key)
        if isinstance(value, dict) and isinstance(value.get(name), str):
            return str(value[name]).lower()
    return None


def _cell_language(cell: dict) -> str | None:
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return language.lower() if isinstance(language, str) else None


def read_notebook(data: bytes) -> Notebook:
    """The notebook in ``data``; raises :class:`NotebookError` when it is not one (nbformat 4)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a notebook: not UTF-8 ({exc})") from exc
    return parse_notebook(text, bom=bom)


def parse_notebook(text: str, *, bom: bool = False) -> Notebook:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"not a notebook: invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise NotebookError("not a notebook: the JSON is not an object")
    version = document.get("nbformat")
    if "worksheets" in document or (isinstance(version, int) and version < SUPPORTED_FORMAT):
        raise NotebookError(
            f"nbformat {version} is not supported; convert it: jupyter nbconvert --to notebook --nbformat 4"
        )
    if version != SUPPORTED_FORMAT:
        raise NotebookError(f"not a notebook: nbformat {version!r} (expected {SUPPORTED_FORMAT})")
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: no list of cells")
    sources: list[str] = []
    for number, raw in enumerate(cells, 1):
        name = cell_name(number)
        if not isinstance(raw, dict) or not isinstance(raw.get("cell_type"), str):
            raise NotebookError(f"not a notebook: {name} has no cell_type")
        if "source" not in raw and raw["cell_type"] == "code":
            raise NotebookError(f"not a notebook: {name} has no source")
        source = raw.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        elif not isinstance(source, str):
            raise NotebookError(f"not a notebook: the source of {name} is not text")
        sources.append(source)
    spans = _source_spans(text)
    assert len(spans) == len(cells)
    python = _is_python(_language(document.get("metadata")))
    read = [
        Cell(index, raw["cell_type"], source, span, parts, _is_python(_cell_language(raw)))
        for index, (raw, source, (span, parts)) in enumerate(zip(cells, sources, spans))
    ]
    return Notebook(text, tuple(read), python, bom)


# -- the Python source ------------------------------------------------------------------------


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _scan(body: str, quote: str | None, depth: int) -> tuple[str | None, int, bool]:
    """The lexical state after one line: the open string's delimiter, the bracket depth, and
    whether a backslash continues the line."""
    at, comment = 0, False
    while True:
        if quote is not None:
            close = body.find(quote, at)
            escape = body.find("\\", at)
            if escape != -1 and (close == -1 or escape < close):
                at = escape + 2
                if at > len(body):
                    return quote, depth, True
                continue
            if close == -1:
                return (quote if len(quote) == 3 else None), depth, False
            at, quote = close + len(quote), None
            continue
        match = _LEXEMES.search(body, at)
        if match is None:
            break
        char, at = match.group(), match.end()
        if char == "#":
            comment = True
            break
        if char in "'\"":
            quote = char * 3 if body.startswith(char * 3, at - 1) else char
            at += len(quote) - 1
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
    return None, depth, not comment and body.endswith("\\")


def is_escape(body: str) -> bool:
    """Whether a line that starts a logical line is an IPython escape (not Python)."""
    stripped = body.lstrip(" \t")
    if not stripped:
        return False
    return stripped.startswith(_ESCAPES) or bool(_HELP_END.match(body) or _ASSIGN_ESCAPE.match(body))


def _without_escapes(lines: list[str]) -> list[str]:
    out: list[str] = []
    quote: str | None = None
    depth, continued, magic = 0, False, False
    for line in lines:
        body = line.rstrip("\r\n")
        if magic:  # a backslash continues a magic's line
            out.append(_ending(line))
            magic = body.endswith("\\")
            continue
        if quote is None and depth == 0 and not continued and is_escape(body):
            indent = _indent_of(body)
            out.append((indent + "pass" if indent else "") + _ending(line))
            magic = body.endswith("\\")
            continue
        out.append(line)
        quote, depth, continued = _scan(body, quote, depth)
    return out


def python_lines(source: str) -> list[str]:
    """The lines of a code cell with what is not Python blanked (as many lines, same ends)."""
    lines = physical_lines(source)
    for at, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _CELL_MAGIC.match(stripped)
        if match is None:
            break
        blanked = [_ending(item) for item in lines[: at + 1]]
        rest = lines[at + 1:]
        if match.group(1) not in PYTHON_CELL_MAGICS:
            return blanked + [_ending(item) for item in rest]
        return blanked + python_lines("".join(rest))
    return _without_escapes(lines)


def _terminated(lines: list[str]) -> list[str]:
    """``lines`` with a ``\\n`` at the end, so that the next cell starts on a line of its own (a
    bare ``\\r`` would join a next cell's leading ``\\n`` into one line end)."""
    if lines and not lines[-1].endswith("\n"):
        return lines[:-1] + [lines[-1] + "\n"]
    return lines


def _describe(exc: BaseException, first: int = 1) -> str:
    """``Type: message (line N)``, ``N`` counted from line ``first`` of the parsed text."""
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno - first + 1})" if exc.lineno else ""
        return f"{type(exc).__name__}: {exc.msg}{where}"
    return f"{type(exc).__name__}: {exc}"


@dataclass
class PythonSource:
    """The code cells of a notebook as one Python source."""

    notebook: Notebook
    text: str
    tree: ast.Module
    starts: list[int]  #: the first line (1-based) of each code cell in :attr:`text`
    cells: list[Cell]  #: the code cells, in order
    lines: list[str]  #: the lines of :attr:`text`
    blanked: list[bool]  #: for each cell: holds no Python (another language, magics, does not parse)
    errors: list[str] = field(default_factory=list)  #: ``cell_N: SyntaxError: ...`` for each cell left out

    def cell_at(self, line: int) -> int:
        """The position in :attr:`cells` of the cell holding ``line`` (1-based)."""
        return max(bisect.bisect_right(self.starts, line) - 1, 0)

    def locate(self, line: int) -> tuple[Cell, int]:
        """The cell holding ``line`` of :attr:`text`, and the line in that cell (1-based)."""
        at = self.cell_at(line)
        return self.cells[at], line - self.starts[at] + 1

    def describe(self, message: str) -> str:
        """An analysis message whose ``line N`` is a line of :attr:`text`, in the cell's terms."""

        def local(match: re.Match[str]) -> str:
            places = (self.locate(int(number)) for number in match.group(1).split(", "))
            return ", ".join(f"line {line} of {cell_name(cell.number)}" for cell, line in places)

        return _LINE_NUMBERS.sub(local, message)


def python_source(notebook: Notebook) -> PythonSource:
    """Join the code cells.  Never raises: a cell that does not parse is left out and named in
    ``errors``."""
    cells = notebook.code_cells if notebook.python else []
    per_cell: list[list[str]] = []
    blanked: list[bool] = []
    errors: list[str] = []
    for cell in cells:
        lines = _terminated(physical_lines(cell.source))
        if not cell.python:
            per_cell.append(["\n" for _ in lines])
            blanked.append(True)
            continue
        lines = _terminated(python_lines(cell.source))
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            errors.append(f"{cell_name(cell.number)}: {_describe(exc)}")
            per_cell.append(["\n" for _ in lines])
            blanked.append(True)
            continue
        for node in tree.body:  # Jupyter takes them in any cell; one file only at its top
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                    lines[number - 1] = _ending(lines[number - 1])
        per_cell.append(lines)
        blanked.append(not any(map(_is_code, lines)))
    starts: list[int] = []
    joined: list[str] = []
    for lines in per_cell:
        starts.append(len(joined) + 1)
        joined.extend(lines)
    text = "".join(joined)
    while True:
        try:
            tree = ast.parse(text)
            break
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            # Each cell parses alone; together they are expected to, but never trusted to.
            line = getattr(exc, "lineno", None) or 1
            at = max(bisect.bisect_right(starts, line) - 1, 0)
            if not cells or blanked[at]:
                tree = ast.parse("")
                errors.append(f"cannot join the cells: {_describe(exc)}")
                text, joined = "", []
                break
            errors.append(f"{cell_name(cells[at].number)}: {_describe(exc, starts[at])}")
            blanked[at] = True
            end = starts[at + 1] - 1 if at + 1 < len(starts) else len(joined)
            joined[starts[at] - 1: end] = ["\n"] * (end - starts[at] + 1)
            text = "".join(joined)
    return PythonSource(notebook, text, tree, starts, cells, physical_lines(text), blanked, errors)


# -- fixing -----------------------------------------------------------------------------------


@dataclass
class NotebookFix:
    text: str  #: the notebook's new JSON text (its old text when nothing changed)
    changed: dict[int, tuple[str, str]] = field(default_factory=dict)  #: cell index -> (before, after)
    fixed: list[Finding] = field(default_factory=list)
    unfixed: list[Finding] = field(default_factory=list)
    error: str | None = None
    source: PythonSource | None = None  #: the fixed notebook's Python source, when it changed


def fix_notebook(
    source: PythonSource,
    *,
    path: str | None = None,
    settings: Settings = DEFAULT,
    select: Callable[[str], bool] = lambda code: True,
    keep: Callable[[int, str], bool] = lambda line, code: True,
) -> NotebookFix:
    """Fix the findings of the notebook's code cells (``keep`` takes lines of ``source.text``).
    The result's text is a notebook whose changed cells parse and whose Python source is exactly
    the fixer's output; when that cannot be had, ``error`` says why and nothing changes."""
    notebook = source.notebook
    result = fix_source(source.text, path=path, settings=settings, select=select, keep=keep)
    if result.error:
        return NotebookFix(notebook.text, error=source.describe(result.error))
    if not result.changed or result.source == source.text:
        return NotebookFix(notebook.text, unfixed=result.unfixed)
    try:
        sources = _cell_sources(source, result.source)
        text = notebook.with_sources(sources)
        again = python_source(parse_notebook(text, bom=notebook.bom))
    except NotebookError as exc:
        return NotebookFix(notebook.text, error=str(exc))
    if again.text != result.source or again.errors != source.errors:
        return NotebookFix(  # never expected: the mapping back is checked rather than trusted
            notebook.text, error="the fixed cells would not read back as fixed; left as they are"
        )
    changed = {index: (notebook.cells[index].source, new) for index, new in sources.items()}
    return NotebookFix(text, changed, result.fixed, result.unfixed, source=again)


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _cell_sources(source: PythonSource, fixed: str) -> dict[int, str]:
    """The new source of each cell the fix changed, by cell index."""
    old, new = source.lines, physical_lines(fixed)
    edits: dict[int, list[tuple[int, int, list[str]]]] = {}
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i1 < i2:
            owner = source.cell_at(i1 + 1)
            if source.cell_at(i2) != owner:
                raise NotebookError("cannot fix: a change spans two cells")
        elif i1 > 0 and (i1 == len(old) or _is_code(old[i1 - 1])):
            owner = source.cell_at(i1)  # an insertion after a statement: that statement's cell
        else:
            owner = source.cell_at(i1 + 1)  # before the next statement: its cell
        edits.setdefault(owner, []).append((i1, i2, new[j1:j2]))
    sources: dict[int, str] = {}
    for owner, changes in edits.items():
        cell = source.cells[owner]
        if source.blanked[owner]:
            raise NotebookError(f"cannot fix: the change falls in {cell_name(cell.number)}, not Python")
        first = source.starts[owner] - 1
        raw = _terminated(physical_lines(cell.source))
        for i1, i2, lines in sorted(changes, key=lambda change: change[0], reverse=True):
            for at in range(i1, i2):
                if old[at] != raw[at - first]:  # a magic's line is kept, never replaced
                    name = cell_name(cell.number)
                    raise NotebookError(f"cannot fix: the change would replace a magic of {name}")
            raw[i1 - first: i2 - first] = lines
        text = "".join(raw)
        if not cell.source.endswith("\n") and text.endswith("\n"):
            text = text[:-1]
        sources[cell.index] = text
    return sources


def located(source: PythonSource, findings: Sequence[Finding]) -> list[tuple[Cell, Finding]]:
    """Each finding with its cell, its line made the line in that cell."""
    out = []
    for finding in findings:
        cell, line = source.locate(finding.line)
        out.append((cell, replace(finding, line=line)))
    return out
