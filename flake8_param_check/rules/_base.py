"""What a rule module declares, the scopes a rule can ask for, and its lazy imports.

A rule module is read whenever the codes are (:mod:`..codes`, and so the flake8 plugin's start),
and a run over code that never reaches torch must not import libcst.  So at module level a rule
imports only this module, :mod:`..torch_names` and names for type checking; its check and its fix
planner reach libcst (:data:`cst`), the analysis core (:data:`core`, that is :mod:`._core`) and the
fix toolkit (:data:`kit`, that is :mod:`._fixkit`) through objects that import them on first use.
"""

from __future__ import annotations

import importlib
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Fact


#: What a rule judges, its optional ``JUDGES`` (a rule without one judges bindings): the facts of
#: the class walk (:mod:`..classwalk`) whose ``JUDGED_AS`` is the same.
BINDINGS, CONSTRUCTIONS, STATEMENTS = "bindings", "constructions", "statements"


class Scope(Enum):
    """The statements a rule judges."""

    INIT = "__init__ and the methods it calls"
    EVERY_METHOD = "every method"
    #: The class walk records constructions only there (a :class:`~..classwalk.Construction`).
    FORWARD = "forward and the methods it calls"
    #: Methods of Module classes, and in files that mention torch every other function too.
    EVERY_FUNCTION = "every function and method"

    def admits(self, fact: Fact) -> bool:
        return self is not Scope.INIT or fact.in_init


#: What every rule module defines.  A rule the fixer leaves alone has ``plan_fix = None`` and
#: ``FIXES = []``.
REQUIRED: dict[str, str] = {
    "CODE": "the code, ``TPCnnn``",
    "NAME": "the code's name, in kebab case",
    "MESSAGE": "the message, a ``str.format`` template; ``{attr}`` is the attribute's name",
    "SUMMARY": "one sentence: what the rule finds",
    "SCOPE": "a :class:`Scope`",
    "PRIORITY": "an int: rules are tried lowest first, and the first that fires is reported",
    "check": "``check(fact)``: the message fields (without ``attr``) when the rule fires, else None "
             "(the fact is a binding unless the rule's optional ``JUDGES`` names another kind)",
    "plan_fix": "``plan_fix(site)``: a ``Plan``, or None to leave the finding (see :mod:`._fixkit`)",
    "WHY": "why the bug matters (Markdown, for the docs)",
    "FIX_TEXT": "what ``--fix`` does (Markdown, for the docs)",
    "FIELDS_TEXT": "what the message's fields are (Markdown, for the docs)",
    "VALID": "snippets that must not be reported",
    "INVALID": "snippets whose lines ending in ``# expect: CODE`` must be reported, and nothing else",
    "FIXES": "(before, after) snippets: what the fixer makes of a statement",
}


class Lazy:
    """A module imported on the first look-up of one of its names."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # ``_module`` before ``__init__`` (a copy), dunder probes
            raise AttributeError(name)
        value = getattr(importlib.import_module(self._module), name)
        setattr(self, name, value)  # the next look-up does not come here
        return value

    def __repr__(self) -> str:
        return f"<lazy {self._module}>"


if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from . import _core as core
    from . import _fixkit as kit
else:
    cst = Lazy("libcst")
    core = Lazy(f"{__package__}._core")
    kit = Lazy(f"{__package__}._fixkit")
