"""Every code the tool reports, derived from the rule modules.

The flake8 plugin, the CLI, the fixer, the docs and the tests all read this table; each rule
module (:mod:`.rules`) declares its code, name, message and summary.  A message is a
``str.format`` template; ``{attr}`` is the attribute's name.  :data:`INCOMPLETE` is not a rule:
it says that a file could not be fully analysed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

from .rules import RULES


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    template: str
    summary: str

    def message(self, **fields: str) -> str:
        """The code and its text.  A field the rule did not give is empty (an optional part,
        such as TPC001's ``{first}``)."""
        return f"{self.code} {self.template.format_map(_Optional(fields))}"


class _Optional(Dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


#: One per rule, in the order of their codes.
CODES: dict[str, Code] = {
    rule.CODE: Code(rule.CODE, rule.NAME, rule.MESSAGE, rule.SUMMARY)
    for rule in sorted(RULES, key=lambda rule: rule.CODE)
}

#: The file's analysis stopped or left a part out (``{reason}`` says why): findings may be missing.
INCOMPLETE = Code(
    "TPC900",
    "analysis-incomplete",
    "flake8-param-check could not fully analyse this file: {reason}",
    "A file that could not be fully analysed may hold findings that are not reported.",
)

#: Every code the tool can report: the rules' and :data:`INCOMPLETE`.
ALL_CODES: tuple[str, ...] = (*CODES, INCOMPLETE.code)


def message(code: str, **fields: str) -> str:
    """The full text flake8 prints after the position: ``TPC001 tensor 'self.x' ...``."""
    spec = INCOMPLETE if code == INCOMPLETE.code else CODES[code]
    return spec.message(**fields)
