#!/usr/bin/env python3
"""Sweep a large real tree of Python files through every route and count failures.

Routes:

* flake8: ``flake8 --isolated --select=TPC -j N`` over each tree.  A failure is our plugin named
  in a "failed during execution" message, a traceback through our package, or an exit status
  other than 0/1.  flake8 aborts a whole run when one of *its own* plugins (pyflakes,
  pycodestyle) fails on a file; such files are excluded and the run repeated (they are counted
  as "flake8's own failures", not ours).
* analyze(): in-process (in a pool of worker processes, so a segfault is seen as one) on every
  file, catching every exception.  ``Analysis.error`` values are tallied: syntax/decoding problems
  of the input are not failures; "internal error", an exception out of analyze() and a dead worker
  are.
* the CLI: ``flake8-param-check --isolated -j N --format json`` over each tree.  A failure is an
  exit status other than 0/1, a traceback, or an "internal error" line.

Trees: the site-packages of a virtual environment (created under /tmp with several big packages
installed by pip with ``--no-deps``; never torch), the CPython standard library, and the
benchmark corpus when present.  Example::

    /work/venv/bin/python scripts/sweep.py                 # create/reuse /tmp/tpc-sweep-venv
    /work/venv/bin/python scripts/sweep.py --venv PATH --no-stdlib --tree SOME/DIR
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import tokenize
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_VENV = Path("/tmp/tpc-sweep-venv")
DEFAULT_PACKAGES = [
    "numpy", "scipy", "pandas", "sympy", "matplotlib", "transformers", "timm", "torchvision",
    "django", "networkx", "sqlalchemy", "pygments", "sphinx", "docutils", "plotly", "scikit-learn",
    "statsmodels", "ansible-core", "astropy", "setuptools", "pip",
]
#: Folders skipped in every route (byte-compiled caches; a venv inside the stdlib tree).
#: The standard library's own site-packages is left out by its absolute path (only the one under
#: the stdlib: the sweep venv's site-packages is a tree of its own and must be swept).
EXCLUDE = ["__pycache__", os.path.join(sysconfig.get_paths()["stdlib"], "site-packages")]

# Input problems (the file is not valid Python for this interpreter): never failures.
_INPUT_ERRORS = re.compile(
    r"^(SyntaxError|IndentationError|TabError|ValueError|RecursionError|MemoryError"
    r"|cannot decode|cannot parse"
    r"|UnicodeDecodeError|No such file|Is a directory|Permission denied|Too many levels of symbolic links)"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- trees ------------------------------------------------------------------------------------


def ensure_venv(venv: Path, packages: list[str]) -> Path:
    """The site-packages folder of ``venv``, created and filled with ``packages`` (no deps)."""
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    marker = venv / ".tpc-sweep-packages"
    wanted = sorted(packages)
    if not marker.exists() or marker.read_text().split() != wanted:
        log(f"pip install --no-deps {' '.join(wanted)}")
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check", *wanted],
            check=True,
        )
        marker.write_text(" ".join(wanted))
    out = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    )
    return Path(out.stdout.strip())


def python_files(tree: Path) -> list[Path]:
    files = []
    for folder, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in EXCLUDE and os.path.join(folder, d) not in EXCLUDE]
        files.extend(Path(folder) / n for n in names if n.endswith(".py"))
    return sorted(files)


# -- analyze() in a pool ----------------------------------------------------------------------


def _decode(data: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def _analyze_batch(paths: list[str]) -> list[tuple[str, int, str | None, str | None, float]]:
    """(path, findings, Analysis.error, exception, seconds) for each file."""
    from flake8_param_check.analysis import analyze

    results = []
    for path in paths:
        start = time.monotonic()
        try:
            with open(path, "rb") as stream:
                text = _decode(stream.read())
        except Exception as exc:  # an input problem: not analysed
            results.append((path, 0, f"cannot decode: {type(exc).__name__}", None, 0.0))
            continue
        try:
            result = analyze(text, path=path)
            results.append((path, len(result.findings), result.error, None, time.monotonic() - start))
        except BaseException as exc:  # analyze() must never raise
            results.append((path, 0, None, f"{type(exc).__name__}: {exc!s:.200}", time.monotonic() - start))
    return results


_ONE_IN_CHILD = (
    "import sys, json; sys.path.insert(0, sys.argv[2]); import sweep; "
    "print(json.dumps(sweep._analyze_batch([sys.argv[1]])[0]))"
)


def _analyze_alone(path: str) -> tuple[str, int, str | None, str | None, float]:
    done = subprocess.run([sys.executable, "-c", _ONE_IN_CHILD, path, str(HERE)],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        return (path, 0, None, f"worker died: exit {done.returncode}", 0.0)
    return tuple(json.loads(done.stdout.splitlines()[-1]))  # type: ignore[return-value]


def run_analyze(files: list[Path], jobs: int) -> dict:
    paths = [str(f) for f in files]
    batches = [paths[i : i + 100] for i in range(0, len(paths), 100)]
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_analyze_batch, batch): batch for batch in batches}
        broken: list[list[str]] = []
        for future in concurrent.futures.as_completed(futures):
            try:
                results.extend(future.result())
            except concurrent.futures.process.BrokenProcessPool:
                broken.append(futures[future])
    for batch in broken:  # a worker died: find the file, one child process per file
        log(f"analyze(): a worker died; re-running {len(batch)} files one by one")
        results.extend(_analyze_alone(path) for path in batch)
    failures = [(p, exc) for p, _, err, exc, _ in results if exc is not None]
    failures += [(p, err) for p, _, err, exc, _ in results if err and err.startswith("internal error")]
    errors = Counter(_category(err) for _, _, err, exc, _ in results if err)
    slowest = sorted(results, key=lambda r: r[4], reverse=True)[:5]
    return {
        "files": len(results),
        "findings": sum(r[1] for r in results),
        "failures": failures,
        "errors": dict(errors),
        "slowest": [(p, round(t, 2), err) for p, _, err, _, t in slowest],
    }


def _category(error: str) -> str:
    return error.split(":", 1)[0] if not error.startswith("analysis stopped") else error


# -- flake8 -----------------------------------------------------------------------------------

_FAILED = re.compile(r'^(?P<path>.+?): "(?P<plugin>[^"]+)" failed during execution', re.MULTILINE)


def run_flake8(trees: list[Path], jobs: int) -> dict:
    findings = 0
    failures: list[tuple[str, str]] = []
    own_failures: list[str] = []
    excluded: list[str] = []
    for tree in trees:
        for attempt in range(50):
            cmd = [sys.executable, "-m", "flake8", "--isolated", "--select=TPC", f"-j{jobs}",
                   "--extend-exclude", ",".join(EXCLUDE + excluded), "--format=%(code)s", str(tree)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            both = done.stdout + done.stderr
            failed = list(_FAILED.finditer(both))
            ours = [m for m in failed if "param-check" in m.group("plugin") or "TPC" in m.group("plugin")]
            if ours or "flake8_param_check" in both:
                failures.extend((m.group("path"), m.group(0)) for m in ours)
                if not ours:
                    failures.append((str(tree), both[-2000:]))
            if failed:  # flake8 aborted the run: leave the file out and go again
                for match in failed:
                    excluded.append(os.path.abspath(match.group("path")))
                    if match not in ours:
                        own_failures.append(match.group(0))
                continue
            if done.returncode not in (0, 1) or "Traceback" in both:
                failures.append((str(tree), f"exit {done.returncode}: {both[-2000:]}"))
            findings += sum(1 for line in done.stdout.splitlines() if line.startswith("TPC"))
            break
    return {"findings": findings, "failures": failures, "flake8_own_failures": own_failures,
            "excluded": excluded}


# -- the CLI ----------------------------------------------------------------------------------


def run_cli(trees: list[Path], jobs: int) -> dict:
    cmd = [sys.executable, "-m", "flake8_param_check.cli", "--isolated", f"-j{jobs}", "--format", "json",
           "--extend-exclude", ",".join(EXCLUDE), *map(str, trees)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    failures: list[tuple[str, str]] = []
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        failures.append(("<run>", f"exit {done.returncode}: {done.stderr[-2000:]}"))
    try:
        findings = len(json.loads(done.stdout or "[]"))
    except json.JSONDecodeError:
        findings = 0
        failures.append(("<run>", "output is not JSON"))
    errors: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        path, sep, why = line.partition(": error: ")
        if not sep:
            continue
        expected = _INPUT_ERRORS.match(why) or why.startswith("analysis stopped")
        if why.startswith("internal error") or not expected:
            failures.append((path, why))
        errors[_category(why)] += 1
    command = " ".join(cmd[:8]) + " ..."
    return {"findings": findings, "failures": failures, "errors": dict(errors), "command": command}


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="virtual environment to create/reuse")
    parser.add_argument("--packages", default=",".join(DEFAULT_PACKAGES), help="comma separated pip names")
    parser.add_argument("--no-venv", action="store_true", help="do not use a venv's site-packages")
    parser.add_argument("--no-stdlib", action="store_true", help="leave the standard library out")
    parser.add_argument("--no-corpus", action="store_true", help="leave benchmarks/.corpus out")
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another folder to sweep")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--routes", default="analyze,cli,flake8", help="which routes to run")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args(argv)

    trees: list[Path] = list(args.tree)
    if not args.no_venv:
        trees.append(ensure_venv(args.venv, [p for p in args.packages.split(",") if p]))
    if not args.no_stdlib:
        trees.append(Path(sysconfig.get_paths()["stdlib"]))
    corpus = REPO / "benchmarks" / ".corpus"
    if not args.no_corpus and corpus.is_dir():
        trees.extend(p for p in sorted(corpus.iterdir()) if p.is_dir() and not p.name.startswith("venv"))
    files = [f for tree in trees for f in python_files(tree)]
    log(f"{len(files)} .py files in {len(trees)} trees")
    report: dict = {"trees": [str(t) for t in trees], "files": len(files)}
    routes = args.routes.split(",")
    total_failures = 0
    for route, run in (("analyze", lambda: run_analyze(files, args.jobs)),
                       ("cli", lambda: run_cli(trees, args.jobs)),
                       ("flake8", lambda: run_flake8(trees, args.jobs))):
        if route not in routes:
            continue
        log(f"route {route} ...")
        start = time.monotonic()
        result = run()
        result["seconds"] = round(time.monotonic() - start, 1)
        report[route] = result
        total_failures += len(result["failures"])
        print(f"{route:8} files={result.get('files', len(files))} findings={result['findings']} "
              f"failures={len(result['failures'])} time={result['seconds']}s", flush=True)
        for path, why in result["failures"][:20]:
            print(f"  FAILURE {path}: {why[:300]}", flush=True)
        if result.get("errors"):
            print(f"  not analysed (by reason): {result['errors']}", flush=True)
        if result.get("flake8_own_failures"):
            failed = len(result["flake8_own_failures"])
            print(f"  flake8's own plugins failed on {failed} files (excluded, rerun)")
        if result.get("slowest"):
            print(f"  slowest: {result['slowest'][:3]}", flush=True)
    print(f"TOTAL files={len(files)} failures={total_failures}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
