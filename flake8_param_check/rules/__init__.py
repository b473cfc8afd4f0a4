"""The rules: one module per code, holding everything about it.

A rule module (``tpcNNN.py``) declares its code, name, message, summary, scope and priority, its
check, its fix planner, the prose of its docs and its examples (:data:`._base.REQUIRED` lists
them).  The rest is derived from these modules: the table of codes (:mod:`..codes`), the docs
(``scripts/make_docs.py``), the fixer's dispatch and the order of :data:`RULES`.  Adding a rule
is adding its module (and the torch facts it needs to :mod:`..torch_names`).

A rule looks at one :class:`~flake8_param_check.checker.Binding` (a ``self.<attr> = value``
statement and everything the class walk learnt about it) and returns the message fields when it
fires.  Rules are tried in :data:`RULES` order (lowest ``PRIORITY`` first) and the first that fires
wins, so a statement gets one code at most: TPC005 and TPC002 are reported *instead of* TPC001.

Examples are source snippets; a line of an INVALID example that must be reported ends with
``# expect: CODE`` (one code per finding on that line, in column order).  The tests run every
example through the analysis and through a real flake8, and the docs quote them.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Iterator

from ..torch_names import DOCUMENTED_PLAIN_ATTRIBUTES

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Binding, ClassSummary


def _discover() -> tuple[ModuleType, ...]:
    """Every rule module of this package (the modules not starting with ``_``), by priority."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return tuple(sorted(modules, key=lambda rule: rule.PRIORITY))


#: In priority order: the first rule that fires on a binding is the one reported.
RULES: tuple[ModuleType, ...] = _discover()
BY_CODE: dict[str, ModuleType] = {rule.CODE: rule for rule in RULES}


def judge(summary: ClassSummary) -> Iterator[tuple[Binding, str, dict[str, str]]]:
    """Each binding of the class that a rule reports, with its code and message fields."""
    for binding in summary.bindings:
        if binding.value is None or not binding.own or binding.attr in DOCUMENTED_PLAIN_ATTRIBUTES:
            continue
        if binding.in_init and binding.superseded or binding.growth:
            continue
        for rule in RULES:
            if not rule.SCOPE.admits(binding):
                continue
            fields = rule.check(binding)
            if fields is not None:
                yield binding, rule.CODE, fields
                break
