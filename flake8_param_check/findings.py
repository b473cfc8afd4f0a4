"""What every route (flake8, the CLI, the fixer) gets from the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

from .codes import CODES


@dataclass(frozen=True, order=True)
class Finding:
    line: int  #: 1-based line of the ``self.<attr>`` target
    col: int  #: 0-based column of the target (flake8's plugin convention)
    code: str
    attr: str = field(compare=False)
    fields: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def message(self) -> str:
        """``TPC001 tensor 'self.x' ...``: the code, then the text."""
        return CODES[self.code].message(attr=self.attr, **dict(self.fields))

    @property
    def text(self) -> str:
        """The message without its leading code."""
        return self.message.split(" ", 1)[1]


@dataclass
class Analysis:
    findings: list[Finding]
    #: Why the file could not be analysed (unparsable, too large, ...); ``None`` when it was.
    error: str | None = None
