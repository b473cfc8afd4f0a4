"""Every name the rules and the fix toolkit take from the analysis core, imported here and nowhere
else.  Importing the core imports libcst, so a rule module reaches it through :data:`._base.core`,
on first use (see :mod:`._base`)."""

from __future__ import annotations

from ..classwalk import Binding, ClassSummary, Construction, Discarded, Fact
from ..index import Span
from ..inference import dotted, is_true, string_value
from ..session import Session
from ..values import TENSOR_LIKE, Kind, Val

CONTAINER, MODULE, PARAMETER, TENSOR = Kind.CONTAINER, Kind.MODULE, Kind.PARAMETER, Kind.TENSOR

__all__ = [
    "CONTAINER", "MODULE", "PARAMETER", "TENSOR", "TENSOR_LIKE", "Binding", "ClassSummary", "Construction",
    "Discarded", "Fact", "Kind", "Session",
    "Span", "Val", "dotted", "is_true", "string_value",
]
