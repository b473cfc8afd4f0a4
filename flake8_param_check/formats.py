"""Output formats: flake8's text, JSON, GitHub workflow annotations and SARIF 2.1.0.

Every formatter takes the findings of a run (already filtered and sorted) and returns the whole
output text.  Columns are printed 1-based, as flake8 prints them.

A finding in a notebook has a cell (numbered 1-based over all the cells, as Ruff does) and its line
and column are those in the cell: ``text`` prints ``path:cell_N:line:col:``, ``json`` adds ``cell``
(``null`` for a ``.py`` file).  ``github`` and ``sarif`` point at the line of the notebook's JSON
file that holds the cell's line (where a diff of the file shows it), put ``cell_N:line:col:`` before
the message, and SARIF adds the cell as a logical location and as properties of the result.
"""

from __future__ import annotations

import json
import os
import pathlib
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable, Sequence
from urllib.parse import quote

from . import __version__
from .codes import CODES
from .findings import Finding

TOOL_NAME = "flake8-param-check"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULE_DOC = "docs/rules/{code}.md"
#: Every TPC code is a bug in the Module, so each is reported as an error.
LEVEL = "error"


@dataclass(frozen=True)
class Report:
    """One finding in one file, as the run reports it."""

    path: str  #: the path as the run names it (``stdin`` for standard input)
    finding: Finding  #: in a notebook, its line is the line in the cell
    cell: int | None = None  #: the notebook cell's number (1-based over all the cells)
    file_line: int | None = None  #: in a notebook, the line of the JSON file holding the finding's line

    @property
    def column(self) -> int:
        return self.finding.col + 1

    @property
    def line_in_file(self) -> int:
        return self.file_line if self.file_line is not None else self.finding.line

    @property
    def place(self) -> str:
        """``line:col``, after ``cell_N:`` in a notebook."""
        where = f"{self.finding.line}:{self.column}"
        return where if self.cell is None else f"cell_{self.cell}:{where}"

    @property
    def text(self) -> str:
        """The message without its code, after the cell position in a notebook (for the formats
        whose line is the file's)."""
        return self.finding.text if self.cell is None else f"{self.place}: {self.finding.text}"


Formatter = Callable[[Sequence[Report]], str]


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def format_text(reports: Sequence[Report]) -> str:
    return _lines([f"{r.path}:{r.place}: {r.finding.message}" for r in reports])


def format_json(reports: Sequence[Report]) -> str:
    items = [
        {
            "path": r.path,
            "cell": r.cell,
            "line": r.finding.line,
            "column": r.column,
            "code": r.finding.code,
            "message": r.finding.text,
            "attr": r.finding.attr,
        }
        for r in reports
    ]
    return json.dumps(items, indent=2) + "\n"


def portable_path(path: str) -> str:
    """``path`` with forward slashes and without a leading ``./``."""
    posix = path.replace(os.sep, "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return posix


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(reports: Sequence[Report]) -> str:
    return _lines(
        [
            f"::{LEVEL} file={_escape_property(portable_path(r.path))},line={r.line_in_file},"
            + ("" if r.cell is not None else f"col={r.column},")
            + f"title={_escape_property(r.finding.code)}::{_escape_data(r.text)}"
            for r in reports
        ]
    )


def _help_base() -> str | None:
    """The project's web address from its metadata, for the rules' ``helpUri``; ``None`` if unknown."""
    try:
        meta = metadata.metadata(TOOL_NAME)
    except metadata.PackageNotFoundError:
        return None
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("source", "repository", "homepage", "home") and url.strip():
            return url.strip()
    home = meta["Home-page"] if "Home-page" in meta else None
    return home if home and home.upper() != "UNKNOWN" else None


def _rule(code: str, base: str | None) -> dict[str, Any]:
    spec = CODES[code]
    rule: dict[str, Any] = {
        "id": code,
        "name": spec.name,
        "shortDescription": {"text": spec.summary},
        "help": {"text": f"{spec.summary} See {RULE_DOC.format(code=code)}."},
        "defaultConfiguration": {"level": LEVEL},
    }
    if base:
        rule["helpUri"] = f"{base.rstrip('/')}/blob/main/{RULE_DOC.format(code=code)}"
    return rule


def _artifact(path: str) -> dict[str, str]:
    if os.path.isabs(path):
        return {"uri": pathlib.Path(path).as_uri()}
    return {"uri": quote(portable_path(path)), "uriBaseId": "%SRCROOT%"}


def _sarif_result(report: Report, rule_index: int) -> dict[str, Any]:
    region = {"startLine": report.line_in_file}
    if report.cell is None:
        region["startColumn"] = report.column
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": _artifact(report.path), "region": region}
    }
    result: dict[str, Any] = {
        "ruleId": report.finding.code,
        "ruleIndex": rule_index,
        "level": LEVEL,
        "message": {"text": report.text},
        "locations": [location],
    }
    if report.cell is not None:
        location["logicalLocations"] = [{"name": f"cell_{report.cell}", "kind": "object"}]
        result["properties"] = {
            "cell": report.cell,
            "cellLine": report.finding.line,
            "cellColumn": report.column,
        }
    return result


def sarif_document(reports: Sequence[Report]) -> dict[str, Any]:
    base = _help_base()
    index = {code: i for i, code in enumerate(CODES)}
    results = [_sarif_result(r, index[r.finding.code]) for r in reports]
    driver = {
        "name": TOOL_NAME,
        "version": __version__,
        "rules": [_rule(code, base) for code in CODES],
    }
    if base:
        driver["informationUri"] = base
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def format_sarif(reports: Sequence[Report]) -> str:
    return json.dumps(sarif_document(reports), indent=2) + "\n"


FORMATS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}
