"""The rules: each module holds one code's decision and its VALID/INVALID examples.

A rule looks at one :class:`~flake8_param_check.checker.Binding` (a ``self.<attr> = value``
statement and everything the class walk learnt about it) and returns the message fields when it
fires.  Rules are tried in :data:`RULES` order and the first that fires wins, so a statement gets
one code at most: TPC005 and TPC002 are reported *instead of* TPC001.

Examples are source snippets; a line of an INVALID example that must be reported ends with
``# expect: CODE`` (one code per finding on that line, in column order).  The tests run every
example through the analysis and through a real flake8, and the docs quote them.
"""

from __future__ import annotations

from types import ModuleType
from typing import Iterator

from ..classwalk import Binding, ClassSummary
from ..torch_names import DOCUMENTED_PLAIN_ATTRIBUTES
from . import tpc001, tpc002, tpc003, tpc004, tpc005

#: In priority order: the first rule that fires on a binding is the one reported.
RULES: tuple[ModuleType, ...] = (tpc005, tpc002, tpc001, tpc003, tpc004)
BY_CODE: dict[str, ModuleType] = {rule.CODE: rule for rule in RULES}


def judge(summary: ClassSummary) -> Iterator[tuple[Binding, str, dict[str, str]]]:
    """Each binding of the class that a rule reports, with its code and message fields."""
    for binding in summary.bindings:
        if binding.value is None or not binding.own or binding.attr in DOCUMENTED_PLAIN_ATTRIBUTES:
            continue
        if binding.in_init and binding.superseded or binding.growth:
            continue
        for rule in RULES:
            fields = rule.check(binding)
            if fields is not None:
                yield binding, rule.CODE, fields
                break
