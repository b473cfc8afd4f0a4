"""The rules: one module per code, holding everything about it.

A rule module (``tpcNNN.py``) declares its code, name, message, summary, scope and priority, its
check, its fix planner, the prose of its docs and its examples (:data:`._base.REQUIRED` lists
them).  The rest is derived from these modules: the table of codes (:mod:`..codes`), the docs
(``scripts/make_docs.py``), the fixer's dispatch and the order of :data:`RULES`.  Adding a rule
is adding its module (and the torch facts it needs to :mod:`..torch_names`).

A rule looks at one fact of the class walk (:mod:`..classwalk`) and returns the message fields
when it fires.  What kind of fact is its ``JUDGES``: ``"bindings"`` (the default: a
:class:`~..classwalk.Binding`, a ``self.<attr> = value`` statement and everything the walk learnt
about it), ``"constructions"`` (a :class:`~..classwalk.Construction`: a Module or Parameter built
in the forward scope) or ``"statements"`` (a :class:`~..classwalk.Discarded` conversion, in a
class or a function).  Rules are tried in :data:`RULES` order (lowest ``PRIORITY`` first) and the
first that fires wins, so a statement gets one code at most: TPC005 and TPC002 are reported
*instead of* TPC001, TPC007 instead of TPC003; a binding rule wins over the other facts of its
statement.

Examples are source snippets; a line of an INVALID example that must be reported ends with
``# expect: CODE`` (one code per finding on that line, in column order).  The tests run every
example through the analysis and through a real flake8, and the docs quote them.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING, Iterator, Sequence

from ..torch_names import DOCUMENTED_PLAIN_ATTRIBUTES

from ._base import BINDINGS

if TYPE_CHECKING:  # pragma: no cover
    from ._core import ClassSummary, Fact


def _discover() -> tuple[ModuleType, ...]:
    """Every rule module of this package (the modules not starting with ``_``), by priority."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return tuple(sorted(modules, key=lambda rule: rule.PRIORITY))


#: In priority order: the first rule that fires on a binding is the one reported.
RULES: tuple[ModuleType, ...] = _discover()
BY_CODE: dict[str, ModuleType] = {rule.CODE: rule for rule in RULES}


def judges(rule: ModuleType) -> str:
    """What kind of fact ``rule`` judges."""
    return getattr(rule, "JUDGES", BINDINGS)


def judge(summary: ClassSummary) -> Iterator[tuple[Fact, str, dict[str, str]]]:
    """Each fact of the class that a rule reports, with its code and message fields."""
    codes: dict[int, str] = {}  # statement -> the code reported there
    for binding in summary.bindings:
        if binding.value is None or not binding.own or binding.attr in DOCUMENTED_PLAIN_ATTRIBUTES:
            continue
        if binding.in_init and binding.superseded or binding.growth:
            continue
        for rule in RULES:
            if judges(rule) != BINDINGS or not rule.SCOPE.admits(binding):
                continue
            fields = rule.check(binding)
            if fields is not None:
                codes[id(binding.statement)] = rule.CODE
                yield binding, rule.CODE, fields
                break
    yield from judge_facts([*summary.constructions, *summary.discarded], codes)


def judge_facts(facts: Sequence[Fact], codes: dict[int, str] | None = None
                ) -> Iterator[tuple[Fact, str, dict[str, str]]]:
    """Each fact (other than a binding) that a rule reports.  A statement keeps the code found
    first (``codes``: statement -> code, updated), by rule priority."""
    codes = {} if codes is None else codes
    done: set[int] = set()
    for rule in RULES:
        kind = judges(rule)
        for fact in facts:
            if fact.JUDGED_AS != kind or id(fact) in done or not fact.own or not rule.SCOPE.admits(fact):
                continue
            if codes.get(id(fact.statement), rule.CODE) != rule.CODE:
                continue
            fields = rule.check(fact)
            if fields is not None:
                done.add(id(fact))
                codes[id(fact.statement)] = rule.CODE
                yield fact, rule.CODE, fields
