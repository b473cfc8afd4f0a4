"""Show that the gate (flake8_param_check/gate.py) changes no finding on a real tree.

    python scripts/gate_check.py PATH [PATH ...]

Analyses every ``.py`` file twice, with the gate and without it (every Module class parsed with
libcst), and prints each finding that only one run has, the totals and both run times.  The gate
must only ever skip work: any difference is a bug in the gate.
"""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path

from flake8_param_check.analysis import analyze
from flake8_param_check.project import clear_cache
from flake8_param_check.settings import Settings
from flake8_param_check.source import read_source


def run(files: list[tuple[str, str, ast.Module]],
        settings: Settings) -> tuple[set[tuple[str, int, str]], float]:
    clear_cache()
    start = time.process_time()
    found = set()
    for path, source, tree in files:
        for finding in analyze(source, path=path, settings=settings, tree=tree).findings:
            found.add((path, finding.line, finding.code))
    return found, time.process_time() - start


def main(argv: list[str]) -> int:
    files = []
    for root in argv:
        for path in sorted(Path(root).rglob("*.py")):
            try:
                source = read_source(str(path))
                files.append((str(path), source, ast.parse(source)))
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
                continue
    gated, gated_time = run(files, Settings())
    full, full_time = run(files, Settings(gate=False))
    for item in sorted(gated ^ full):
        where = "only with the gate: " if item in gated else "only without the gate: "
        print(where + ":".join(map(str, item)))
    print(f"{len(files)} files; findings with gate {len(gated)}, without {len(full)}; "
          f"differences {len(gated ^ full)}; cpu {gated_time:.1f}s with gate, {full_time:.1f}s without")
    return 1 if gated ^ full else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
