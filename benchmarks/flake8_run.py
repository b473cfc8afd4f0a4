"""Run flake8 with one installed plugin dropped, or with a count of that plugin's calls.

    python benchmarks/flake8_run.py --drop flake8-param-check -- --isolated -j1 FILES
    python benchmarks/flake8_run.py --trace calls.txt -- --isolated -j1 --select=E FILES

flake8 runs every installed AST plugin on every file whatever ``--select`` says (``--select`` only
filters what is reported), so a baseline without the plugin's cost must not load it at all.
``--drop DIST`` hides the plugins of the distribution ``DIST`` from flake8's plugin finder; all
else (interpreter, flake8 and its checks) stays identical.  ``--trace FILE`` appends a line to
``FILE`` for each file the flake8-param-check plugin runs on, to show when flake8 calls it.
"""

from __future__ import annotations

import argparse
import sys

from flake8.main import cli
from flake8.plugins import finder


def _drop(dist: str) -> None:
    find = finder.find_plugins

    def find_plugins(*args, **kwargs):
        return [p for p in find(*args, **kwargs) if p.package != dist]

    finder.find_plugins = find_plugins


def _trace(path: str) -> None:
    from flake8_param_check.plugin import ParamCheckPlugin

    run = ParamCheckPlugin.run

    def traced(self):
        with open(path, "a") as f:
            f.write(f"{self._filename}\n")
        return run(self)

    ParamCheckPlugin.run = traced


def main() -> int:
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("--drop", metavar="DIST")
    parser.add_argument("--trace", metavar="FILE")
    parser.add_argument("flake8_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.drop:
        _drop(args.drop)
    if args.trace:
        _trace(args.trace)
    rest = args.flake8_args[1:] if args.flake8_args[:1] == ["--"] else args.flake8_args
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main())
