"""Where the plugin's own time goes, measured in one process on one corpus.

    python benchmarks/profile_analysis.py transformers            # the figures below
    python benchmarks/profile_analysis.py timm --every 4          # every 4th file
    python benchmarks/profile_analysis.py stdlib --profile 25     # and cProfile's top 25

Each file is read and parsed with ``ast`` first (flake8 does that, and hands the plugin its tree),
then ``analyze()`` runs over all files twice: *cold*, the way one flake8 process meets them (each
imported project file read once, when first asked), then *warm*, with those outlines cached, which
leaves the per-file part alone.  It also counts the Module classes the gate lets through to libcst.
CPU seconds of this process; the garbage collector stays on, as in flake8.  These figures leave
out what only a real flake8 run shows (the plugin's import, its effect on flake8's own garbage
collections): ``bench.py`` measures that.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import pstats
import sys
import time

import corpus
from flake8_param_check import analysis, session as session_module
from flake8_param_check.project import clear_cache
from flake8_param_check.source import read_source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", choices=list(corpus.NAMES))
    parser.add_argument("--every", type=int, default=1, help="only every N-th file")
    parser.add_argument("--profile", type=int, metavar="N", help="print cProfile's top N (a third pass)")
    args = parser.parse_args(argv)

    corpus.ensure()
    files = []
    for path in corpus.files(args.corpus)[:: args.every]:
        try:
            source = read_source(str(path))
            files.append((str(path), source, ast.parse(source)))
        except (OSError, SyntaxError, ValueError):
            continue
    lines = sum(source.count("\n") for _, source, _ in files)

    parses = [0]
    real_parse = session_module.parse_segment

    def counted(text: str):  # type: ignore[no-untyped-def]
        parses[0] += 1
        return real_parse(text)

    session_module.parse_segment = counted  # type: ignore[assignment]
    clear_cache()
    print(f"{args.corpus}: {len(files)} files, {lines:,} lines")
    for label in ("cold", "warm"):
        parses[0] = 0
        start = time.process_time()
        for path, source, tree in files:
            analysis.analyze(source, path=path, tree=tree)
        spent = time.process_time() - start
        print(f"  {label}: {spent:.2f} s CPU, {spent * 1e6 / lines:.2f} ms per 1,000 lines, "
              f"{parses[0]} definitions parsed with libcst")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for path, source, tree in files:
            analysis.analyze(source, path=path, tree=tree)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
