"""Every name the rules and the fixer take from the analysis core, imported here and nowhere else.

The core (:mod:`..analysis`, :mod:`..checker`, :mod:`..inference`, :mod:`..context`,
:mod:`..index`) is being reshaped: a rename there is a change to this file.  Importing it imports
libcst, so a rule module reaches it through :data:`._base.core`, on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis import Reported, analyze_detailed
from ..checker import Binding, ClassSummary
from ..inference import CONTAINER, MODULE, PARAMETER, TENSOR, TENSOR_LIKE, Val, dotted, is_true, string_value

if TYPE_CHECKING:  # pragma: no cover
    from ..context import FileContext  # noqa: F401 - for annotations
    from ..index import Span  # noqa: F401 - for annotations

__all__ = [
    "CONTAINER", "MODULE", "PARAMETER", "TENSOR", "TENSOR_LIKE", "Binding", "ClassSummary", "Reported", "Val",
    "analyze_detailed", "dotted", "is_true", "string_value",
]
