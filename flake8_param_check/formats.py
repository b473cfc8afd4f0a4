"""Output formats: flake8's text, JSON, GitHub workflow annotations and SARIF 2.1.0.

Every formatter takes the findings of a run (already filtered and sorted) and returns the whole
output text.  Columns are printed 1-based, as flake8 prints them.
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
    finding: Finding

    @property
    def column(self) -> int:
        return self.finding.col + 1


Formatter = Callable[[Sequence[Report]], str]


def _lines(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def format_text(reports: Sequence[Report]) -> str:
    return _lines([f"{r.path}:{r.finding.line}:{r.column}: {r.finding.message}" for r in reports])


def format_json(reports: Sequence[Report]) -> str:
    items = [
        {
            "path": r.path,
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
            f"::{LEVEL} file={_escape_property(portable_path(r.path))},line={r.finding.line},"
            f"col={r.column},title={_escape_property(r.finding.code)}::{_escape_data(r.finding.text)}"
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


def sarif_document(reports: Sequence[Report]) -> dict[str, Any]:
    base = _help_base()
    index = {code: i for i, code in enumerate(CODES)}
    results = [
        {
            "ruleId": r.finding.code,
            "ruleIndex": index[r.finding.code],
            "level": LEVEL,
            "message": {"text": r.finding.text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(r.path),
                        "region": {"startLine": r.finding.line, "startColumn": r.column},
                    }
                }
            ],
        }
        for r in reports
    ]
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
