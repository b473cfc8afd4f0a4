"""``# noqa`` handling that matches flake8's own.

flake8 looks for its inline regex in the physical lines of the whole logical line a finding is on
(so a ``# noqa`` at the end of a multi-line statement or string covers every line of it), matches
codes by prefix, and skips a file with a ``# flake8: noqa`` line that holds nothing else.
"""

from __future__ import annotations

import re
import tokenize
from typing import Mapping

from .source import physical_lines as split_lines

#: flake8's ``defaults.NOQA_INLINE_REGEXP``.
NOQA_INLINE = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
#: flake8's ``defaults.NOQA_FILE``, used with ``match`` so it must start the line.
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.IGNORECASE)

_SEPARATORS = re.compile(r"[,\s]")


def file_is_skipped(lines: list[str]) -> bool:
    """Whether a line is only ``# flake8: noqa`` (flake8 then reports nothing for the file)."""
    return any(NOQA_FILE.match(line) for line in lines)


def logical_line_map(lines: list[str]) -> dict[int, str]:
    """Map each line number to the text of all the physical lines of its logical line.

    The same walk over the tokens as flake8's ``FileProcessor._noqa_line_mapping``.  When the
    source cannot be tokenized the map is empty and callers fall back to the physical line.
    """
    mapping: dict[int, str] = {}
    start, end = len(lines) + 2, -1
    try:
        for token in tokenize.generate_tokens(iter(lines).__next__):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            start, end = min(start, token.start[0]), max(end, token.end[0])
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                joined = "".join(lines[start - 1:end])
                mapping.update(dict.fromkeys(range(start, end + 1), joined))
                start, end = len(lines) + 2, -1
    except (tokenize.TokenError, SyntaxError, StopIteration):
        return {}
    return mapping


def codes_silenced(text: str) -> frozenset[str] | None:
    """The codes a ``# noqa`` in ``text`` names: ``None`` when there is none, empty when bare."""
    match = NOQA_INLINE.search(text)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return frozenset()
    return frozenset(part for part in _SEPARATORS.split(codes) if part)


class NoqaFilter:
    """Answers "is this finding silenced by a ``# noqa``?" for one file."""

    def __init__(self, source: str, *, disabled: bool = False) -> None:
        self.disabled = disabled
        self._lines = split_lines(source)
        self._logical: Mapping[int, str] = {} if disabled else logical_line_map(self._lines)

    @property
    def skips_file(self) -> bool:
        return not self.disabled and file_is_skipped(self._lines)

    def _text_for(self, line: int) -> str:
        text = self._logical.get(line)
        if text is not None:
            return text
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def silenced(self, line: int, code: str) -> bool:
        if self.disabled:
            return False
        codes = codes_silenced(self._text_for(line))
        if codes is None:
            return False
        return not codes or code.startswith(tuple(codes))

    def keep(self, line: int, code: str) -> bool:
        """The fixer's ``keep`` callback: fix only what no ``# noqa`` silences."""
        return not self.silenced(line, code)
