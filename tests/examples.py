"""Collect the rule examples (flake8_param_check.rules.*.VALID/INVALID) for the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flake8_param_check.rules import RULES
from flake8_param_check.rules._examples import HEADER

_EXPECT = re.compile(r"#\s*expect:\s*((?:TPC\d{3}\s*)+)$")


@dataclass(frozen=True)
class Example:
    id: str
    source: str
    expected: tuple[tuple[int, str], ...]  #: (line, code), one per finding, sorted

    def target_columns(self, line: int) -> list[int]:
        """0-based columns of every ``self.`` on ``line``: where findings may point."""
        text = self.source.splitlines()[line - 1]
        return [m.start() for m in re.finditer(r"\bself\.", text)]


def _expected(source: str) -> tuple[tuple[int, str], ...]:
    found: list[tuple[int, str]] = []
    for number, text in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(text)
        if match:
            found.extend((number, code) for code in match.group(1).split())
    return tuple(sorted(found))


def examples(kind: str) -> list[Example]:
    result = []
    for rule in RULES:
        for number, snippet in enumerate(getattr(rule, kind), start=1):
            source = HEADER + snippet.lstrip("\n")
            result.append(Example(f"{rule.CODE}-{kind.lower()}-{number}", source, _expected(source)))
    return result


VALID = examples("VALID")
INVALID = examples("INVALID")
