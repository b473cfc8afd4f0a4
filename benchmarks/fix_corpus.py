"""Run the fixer over real corpora, on a copy: every output must parse and a second pass must
change nothing.

    /work/venv/bin/python benchmarks/fix_corpus.py                  # every corpus
    /work/venv/bin/python benchmarks/fix_corpus.py timm torchvision # some of them
    /work/venv/bin/python benchmarks/fix_corpus.py path/to/tree     # any folder

The corpora (``benchmarks/.corpus``, see corpus.py) are copied to a temporary folder first and
never modified.  Per corpus it prints: files, files changed, findings fixed and unfixed, failures
(an output that does not parse, a second pass that changes something, a fixed finding that is
still reported or a finding that appears, a fixer error) and the time of the first pass.
"""

from __future__ import annotations

import argparse
import difflib
import ast
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import libcst as cst

from flake8_param_check import project
from flake8_param_check.analysis import analyze
from flake8_param_check.fixer import fix_source

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / ".corpus"
CORPORA = {
    "timm": CORPUS_DIR / "timm" / "timm",
    "torchvision": CORPUS_DIR / "torchvision" / "torchvision",
    "transformers": CORPUS_DIR / "transformers" / "transformers" / "models",
    "x-transformers": CORPUS_DIR / "x-transformers" / "x_transformers",
}


def read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def run(name: str, source: Path, verbose: bool) -> dict[str, int | float]:
    stats: Counter = Counter()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fix-corpus-") as temp:
        root = Path(temp) / source.name
        shutil.copytree(source, root)
        files = sorted(root.rglob("*.py"))
        project._PROJECTS.clear()
        results = {}
        started = time.perf_counter()
        for path in files:
            text = read(path)
            if text is None:
                continue
            stats["files"] += 1
            result = fix_source(text, path=str(path))
            if result.error:
                if "SyntaxError" not in result.error:
                    failures.append(f"{path.relative_to(root)}: error: {result.error}")
                continue
            stats["fixed"] += len(result.fixed)
            stats["unfixed"] += len(result.unfixed)
            if result.source != text:
                stats["changed"] += 1
                if verbose:
                    name = str(path.relative_to(root))
                    sys.stdout.writelines(difflib.unified_diff(
                        text.splitlines(keepends=True), result.source.splitlines(keepends=True), name, name))
                path.write_text(result.source, encoding="utf-8", newline="")
            results[path] = result
        elapsed = time.perf_counter() - started
        project._PROJECTS.clear()
        for path, result in results.items():
            if not result.fixed:
                continue
            out = result.source
            try:
                ast.parse(out)
                cst.parse_module(out)
            except Exception as exc:  # noqa: BLE001 - any parse failure is the failure counted
                failures.append(f"{path.relative_to(root)}: output does not parse: {exc}")
                continue
            again = fix_source(out, path=str(path))
            if again.source != out:
                failures.append(f"{path.relative_to(root)}: second pass changes the file")
            left = Counter((f.code, f.attr) for f in analyze(out, path=str(path)).findings)
            expected = Counter((f.code, f.attr) for f in result.unfixed)
            if left - expected:
                name = path.relative_to(root)
                failures.append(f"{name}: reported after the fix: {sorted(left - expected)}")
            stats["vanished"] += sum((expected - left).values())  # unfixed that the fixes also cured
    for failure in failures:
        print(f"  FAIL {failure}")
    return {
        "files": stats["files"],
        "changed": stats["changed"],
        "fixed": stats["fixed"],
        "unfixed": stats["unfixed"],
        "vanished": stats["vanished"],
        "failures": len(failures),
        "seconds": round(elapsed, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help="corpus names or folders (default: every corpus)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each change as a diff")
    args = parser.parse_args(argv)
    targets = args.corpora or list(CORPORA)
    total_failures = 0
    print(f"{'corpus':16} {'files':>6} {'changed':>8} {'fixed':>6} {'unfixed':>8} {'failures':>9} "
          f"{'seconds':>8}")
    for target in targets:
        source = CORPORA.get(target, Path(target))
        if not source.is_dir():
            print(f"{target}: no such corpus or folder (run benchmarks/corpus.py)", file=sys.stderr)
            return 2
        row = run(target, source, args.verbose)
        total_failures += int(row["failures"])
        print(f"{target:16} {row['files']:>6} {row['changed']:>8} {row['fixed']:>6} {row['unfixed']:>8} "
              f"{row['failures']:>9} {row['seconds']:>8}")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
