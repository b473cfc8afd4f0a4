"""The flake8 adapter: options in, findings out.  All analysis lives in :mod:`.analysis`."""

from __future__ import annotations

import ast
from typing import Any, Iterator

from . import __version__
from .analysis import analyze
from .settings import Settings, parse_module_bases


class ParamCheckPlugin:
    name = "flake8-param-check"
    version = __version__

    settings = Settings()

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

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        path = None if self._filename in ("stdin", "-", None) else self._filename
        try:
            result = analyze("".join(self._lines), path=path, settings=self.settings, tree=self._tree)
        except Exception:  # the analysis never raises; this guards flake8's whole run regardless
            return
        for finding in result.findings:
            yield finding.line, finding.col, finding.message, type(self)
