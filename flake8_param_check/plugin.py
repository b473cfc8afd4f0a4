"""The flake8 adapter: options in, findings out.  All analysis lives in :mod:`.analysis`."""

from __future__ import annotations

import ast
from typing import Any, Iterator

from . import __version__
from .analysis import analyze
from .codes import ALL_CODES, INCOMPLETE
from .settings import Settings, parse_module_bases


class ParamCheckPlugin:
    name = "flake8-param-check"
    version = __version__

    settings = Settings()
    #: False when ``--select`` leaves out every TPC code: flake8 runs every installed plugin
    #: whatever is selected, so the plugin itself skips work nobody will see.
    selected = True

    def __init__(self, tree: ast.Module, lines: list[str], filename: str) -> None:
        self._tree = tree
        self._lines = lines
        self._filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            "--param-check-module-bases",
            default="",
            parse_from_config=True,
            comma_separated_list=True,
            help="Extra nn.Module base classes, by qualified name (e.g. mypkg.layers.BaseHead).",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        cls.settings = Settings(module_bases=parse_module_bases(options.param_check_module_bases))
        cls.selected = _selects_tpc(options)

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not self.selected:
            return
        path = None if self._filename in ("stdin", "-", None) else self._filename
        try:
            result = analyze("".join(self._lines), path=path, settings=self.settings, tree=self._tree)
        except Exception as exc:  # the analysis never raises; this guards flake8's run regardless
            yield 1, 0, INCOMPLETE.message(reason=f"internal error: {type(exc).__name__}"), type(self)
            return
        for finding in result.findings:
            yield finding.line, finding.col, finding.message, type(self)
        if result.error is not None:
            # The findings above are what the analysis found before it stopped: say that the
            # file may hold more (flake8 reports files Python cannot parse itself, as E999).
            yield 1, 0, INCOMPLETE.message(reason=result.error), type(self)


def _selects_tpc(options: Any) -> bool:
    """Whether flake8's ``--select``/``--extend-select`` can let a TPC code through."""
    select = getattr(options, "select", None)
    if not select:
        return True  # flake8's default selection includes installed plugins' codes
    wanted = [*select, *(getattr(options, "extend_select", None) or [])]
    prefixes = [w.strip().upper() for w in wanted]
    return any(code.startswith(prefix) for code in ALL_CODES for prefix in prefixes if prefix)
