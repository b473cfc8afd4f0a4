"""Speed and memory of flake8-param-check on real corpora, side by side with its baselines.

    /work/venv/bin/python benchmarks/bench.py            # full corpora, median of 3 runs
    /work/venv/bin/python benchmarks/bench.py --quick    # first 300 files of each corpus
    /work/venv/bin/python benchmarks/bench.py --runs 5 --only flake8

Run it with the interpreter of the environment where flake8-param-check is installed.  It
reports; it never fails on a missed target.  See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import corpus

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PY = sys.executable
FLAKE8_RUN = str(HERE / "flake8_run.py")
CLI = str(Path(PY).parent / "flake8-param-check")
TORCHFIX_VERSION = "0.7.0"
TORCHFIX_VENV = corpus.CORPUS_DIR / "venv-torchfix"
TORCHFIX = str(TORCHFIX_VENV / "bin" / "torchfix")
DIST = "flake8-param-check"
BASE_SELECT = "--select=E,F,W,C90"
PLUGIN_SELECT = "--select=E,F,W,C90,TPC"
SECTIONS = ("flake8", "cli", "torchfix", "memory")
FLAKE8_CORPORA = ("transformers", "timm", "stdlib")


# ---------------------------------------------------------------- measuring


@dataclass
class Run:
    wall: float  #: seconds
    cpu: float  #: user + system seconds of the command and the processes it waited for
    rss_mb: float  #: peak resident set of the largest single process, in MiB
    rc: int
    err: str  #: the last line of stderr, to explain a failure


# A small launcher measures each command from inside a fresh, small process: a child's ru_maxrss
# starts at the RSS of the process it was forked from, so forking straight from this (larger)
# script would put a floor under every peak-memory figure.
LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - start
u = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as f:
    f.write(f"{wall} {u.ru_utime + u.ru_stime} {u.ru_maxrss}")
sys.exit(rc)
"""


def measure(cmd: list[str]) -> Run:
    """Run ``cmd`` once, output discarded: wall, CPU and peak RSS from RUSAGE_CHILDREN."""
    with tempfile.TemporaryDirectory() as tmp:
        stats, err = Path(tmp) / "stats", Path(tmp) / "stderr"
        with err.open("wb") as fh:
            rc = subprocess.call(
                [PY, "-I", "-S", "-c", LAUNCHER, str(stats), *cmd],
                stdout=subprocess.DEVNULL, stderr=fh, cwd=corpus.CORPUS_DIR,
            )
        lines = err.read_text(errors="replace").strip().splitlines()
        if not stats.exists():  # the launcher could not start the command
            return Run(0, 0, 0, 127, lines[-1] if lines else "")
        wall, cpu, rss = map(float, stats.read_text().split())
    return Run(wall, cpu, rss / 1024, rc, lines[-1] if lines else "")


@dataclass
class Result:
    runs: list[Run]

    @property
    def ok(self) -> bool:  # 0: clean, 1: findings were reported
        return all(r.rc in (0, 1) for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mb for r in self.runs)

    @property
    def error(self) -> str:
        bad = [r for r in self.runs if r.rc not in (0, 1)]
        return f"error rc={bad[0].rc}: {bad[0].err[:120]}" if bad else ""


def bench(cmds: dict[str, list[str]], runs: int) -> dict[str, Result]:
    """Run each command ``runs`` times, interleaved (A B A B ...) so drift hits all alike."""
    out: dict[str, Result] = {k: Result([]) for k in cmds}
    for i in range(runs):
        for key, cmd in cmds.items():
            print(f"  [{i + 1}/{runs}] {key}", file=sys.stderr, flush=True)
            run = measure(cmd)
            out[key].runs.append(run)
            if run.rc not in (0, 1):  # a broken command is not worth repeating
                cmds = {k: v for k, v in cmds.items() if k != key}
    return out


# ---------------------------------------------------------------- commands and reporting


class Corpus:
    def __init__(self, name: str, paths: list[Path], tag: str = "") -> None:
        self.name, self.paths, self.tag = name, paths, tag
        self.label = name + (f" ({tag})" if tag else "")
        self.lines = corpus.count_lines(paths)
        slug = "".join(ch if ch.isalnum() else "-" for ch in tag.replace("%", "pct").replace(" ", ""))
        RESULTS.mkdir(exist_ok=True)
        self.listing = RESULTS / f"{name}{'-' + slug if slug else ''}.files"
        self.listing.write_text("".join(f"{p}\n" for p in paths))

    def show(self, cmd: list[str]) -> str:
        """``cmd`` as a shell line, with the file list read from the saved listing."""
        names = {PY: "python", CLI: "flake8-param-check", TORCHFIX: "venv-torchfix/bin/torchfix",
                 FLAKE8_RUN: "benchmarks/flake8_run.py"}
        head = [names.get(c, c) for c in cmd[: len(cmd) - len(self.paths)]]
        return f"{shlex.join(head)} $(cat {self.listing.relative_to(HERE.parent)})"


def sample(c: Corpus, lines: int) -> Corpus:
    """Every k-th file of ``c``, k chosen for about ``lines`` lines in all."""
    k = max(1, round(c.lines / lines))
    return Corpus(c.name, c.paths[::k], ", ".join(filter(None, [c.tag, f"1 in {k}"])))


def flake8_cmds(c: Corpus) -> dict[str, list[str]]:
    files = [str(p) for p in c.paths]
    return {
        "baseline": [PY, FLAKE8_RUN, "--drop", DIST, "--", "--isolated", "-j1", BASE_SELECT, *files],
        "plugin": [PY, FLAKE8_RUN, "--", "--isolated", "-j1", PLUGIN_SELECT, *files],
    }


def cli_cmd(c: Corpus, jobs: int) -> list[str]:
    return [CLI, "-j", str(jobs), *map(str, c.paths)]


def torchfix_cmd(c: Corpus, jobs: int) -> list[str]:
    return [TORCHFIX, "-j", str(jobs), *map(str, c.paths)]


def ensure_torchfix() -> None:
    if Path(TORCHFIX).exists():
        return
    print(f"creating {TORCHFIX_VENV} with torchfix=={TORCHFIX_VERSION}", file=sys.stderr)
    subprocess.run([PY, "-m", "venv", str(TORCHFIX_VENV)], check=True)
    pip = [str(TORCHFIX_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, f"torchfix=={TORCHFIX_VERSION}"], check=True)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def lps(lines: int, res: Result) -> str:
    return f"{lines / res.wall:,.0f}" if res.ok else res.error


def spread(res: Result) -> float:
    """(max - min) / median of the CPU seconds of ``res``'s runs."""
    cpus = [r.cpu for r in res.runs]
    return (max(cpus) - min(cpus)) / res.cpu


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


# ---------------------------------------------------------------- the sections


class Report:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.summary: list[list[str]] = []  # figure, command, result, target, status

    def section(self, title: str, text: str) -> None:
        block = f"### {title}\n\n{text}\n"
        print("\n" + block, flush=True)
        self.parts.append(block)


def toggle_check(c: Corpus) -> str:
    """Does flake8 call the plugin when TPC is not selected?  Count its calls on a few files."""
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "calls"
        few = [str(p) for p in c.paths[:3]]
        measure([PY, FLAKE8_RUN, "--trace", str(trace), "--", "--isolated", "-j1", BASE_SELECT, *few])
        calls = len(trace.read_text().splitlines()) if trace.exists() else 0
    return (
        f"flake8 called the plugin on {calls} of {len(few)} files under `{BASE_SELECT}` "
        "(TPC not selected): "
        + (
            "it runs every installed plugin and `--select` only filters what is reported, so the "
            "baseline hides the plugin from flake8's finder (`flake8_run.py --drop`)."
            if calls
            else "unselected plugins are skipped in this flake8 version."
        )
    )


def run_flake8(corpora: dict[str, Corpus], runs: int, rep: Report, results: dict,
               names: tuple[str, ...] = FLAKE8_CORPORA) -> None:
    rows = []
    for name in names:
        c = corpora[name]
        print(f"flake8 on {c.label}: {len(c.paths)} files, {c.lines:,} lines", file=sys.stderr)
        res = bench(flake8_cmds(c), runs)
        results[("flake8", name)] = res
        base, plug = res["baseline"], res["plugin"]
        if not (base.ok and plug.ok):
            rows.append([c.label, f"{c.lines:,}", base.error if not base.ok else plug.error] + [""] * 9)
            continue
        ratio = plug.cpu / base.cpu
        added = (plug.cpu - base.cpu) * 1e6 / c.lines
        # Two readings less moved by a noisy machine: the median of the ratios of each interleaved
        # (baseline, plugin) pair, and the ratio of the fastest runs.
        paired = statistics.median(p.cpu / b.cpu for b, p in zip(base.runs, plug.runs))
        fastest = min(r.cpu for r in plug.runs) / min(r.cpu for r in base.runs)
        rows.append([
            c.label, f"{c.lines:,}", f"{base.cpu:.2f}", f"{plug.cpu:.2f}", f"{ratio:.3f}",
            f"{added:+.2f}", f"{paired:.3f}", f"{fastest:.3f}", f"{base.wall:.2f}", f"{plug.wall:.2f}",
            f"{plug.wall / base.wall:.3f}", f"±{spread(base) * 50:.1f}%",
        ])
        limit = {"transformers": 1.10, "stdlib": 1.02}.get(name)
        if limit:
            rep.summary.append([
                f"flake8 + plugin on {c.label}", f"`{c.show(flake8_cmds(c)['plugin'])}`",
                f"{(ratio - 1) * 100:+.1f}% CPU ({added:+.2f} ms/1k lines)",
                f"≤ +{(limit - 1) * 100:.0f}%", verdict(ratio <= limit),
            ])
    header = ["corpus", "lines", "base CPU s", "plugin CPU s", "CPU ratio", "+ms/1k lines",
              "paired ratio", "fastest ratio", "base wall s", "plugin wall s", "wall ratio", "noise"]
    c = corpora["transformers"]
    cmds = flake8_cmds(c)
    text = "\n\n".join([
        table(header, rows),
        f"baseline: `{c.show(cmds['baseline'])}`  \nplugin: `{c.show(cmds['plugin'])}`",
        toggle_check(c),
    ])
    rep.section(f"flake8 defaults vs + plugin (-j1, median of {runs})", text)


def run_cli(corpora: dict[str, Corpus], runs: int, rep: Report, results: dict) -> None:
    rows = []
    for name in ("transformers", "timm"):
        c = corpora[name]
        for jobs in (1, 2):
            print(f"CLI -j{jobs} on {c.label}", file=sys.stderr)
            res = results[("cli", name, jobs)] = bench({"cli": cli_cmd(c, jobs)}, runs)["cli"]
            cells = [res.error, "", ""]
            if res.ok:
                cells = [f"{res.wall:.2f}", f"{res.cpu:.2f}", lps(c.lines, res)]
            rows.append([c.label, str(jobs), str(len(c.paths)), f"{c.lines:,}", *cells])
    text = table(["corpus", "-j", "files", "lines", "wall s", "CPU s", "lines/s"], rows)
    c = corpora["transformers"]
    text += f"\n\n`{c.show(cli_cmd(c, 1))}`; lines/s = lines / median wall seconds."
    rep.section(f"CLI throughput (median of {runs})", text)


def run_torchfix(samples: dict[str, Corpus], runs: int, rep: Report) -> None:
    rows = []
    for name, c in samples.items():
        for jobs in (1, 2):
            print(f"CLI vs TorchFix -j{jobs} on {c.label}", file=sys.stderr)
            res = bench({"cli": cli_cmd(c, jobs), "torchfix": torchfix_cmd(c, jobs)}, runs)
            ours, theirs = res["cli"], res["torchfix"]
            speedup = theirs.wall / ours.wall if ours.ok and theirs.ok else None
            rows.append([
                c.label, str(jobs), f"{c.lines:,}", lps(c.lines, ours), lps(c.lines, theirs),
                f"{speedup:.1f}x" if speedup else "",
            ])
            if jobs == 1:
                rep.summary.append([
                    f"CLI vs TorchFix {TORCHFIX_VERSION} on {c.label}, -j1",
                    f"`{c.show(cli_cmd(c, 1))}` vs `{c.show(torchfix_cmd(c, 1))}`",
                    f"{speedup:.1f}x" if speedup else (ours.error if not ours.ok else theirs.error),
                    "≥ 10x", verdict(speedup >= 10 if speedup else None),
                ])
    c = next(iter(samples.values()))
    text = table(["sample", "-j", "lines", "CLI lines/s", "TorchFix lines/s", "CLI speed / TorchFix"], rows)
    text += (
        f"\n\nTorchFix: `{c.show(torchfix_cmd(c, 1))}` (its default rules).  TorchFix needs minutes "
        "per 100k lines, so both tools run on a sample: every k-th file of the corpus, k chosen for "
        "about `--torchfix-lines` lines.  TorchFix skips files without the text `torch`; lines/s "
        "counts every line it was given, for both tools alike."
    )
    rep.section(f"CLI vs TorchFix {TORCHFIX_VERSION} (median of {runs})", text)


def run_memory(corpora: dict[str, Corpus], quarter: Corpus, rep: Report, results: dict) -> None:
    full = corpora["transformers"]
    rows = []

    def row(label: str, small: Result, large: Result | None, cmd: list[str]) -> None:
        if not (small.ok and large and large.ok):
            bad = small if not small.ok else large
            rows.append([label, bad.error if bad else "not measured", "", ""])
            return
        rows.append([label, f"{small.rss:.0f}", f"{large.rss:.0f}", f"{large.rss / small.rss:.2f}x"])
        rep.summary.append([
            f"peak RSS, {label}, {quarter.label} → {full.label}", f"`{full.show(cmd)}`",
            f"{small.rss:.0f} → {large.rss:.0f} MiB ({large.rss / small.rss:.2f}x)", "flat", "info",
        ])

    flake8_full = results.get(("flake8", "transformers")) or bench(flake8_cmds(full), 1)
    small = bench(flake8_cmds(quarter), 1)
    row("flake8 baseline -j1", small["baseline"], flake8_full["baseline"], flake8_cmds(full)["baseline"])
    row("flake8 + plugin -j1", small["plugin"], flake8_full["plugin"], flake8_cmds(full)["plugin"])
    cli_full = results.get(("cli", "transformers", 1)) or bench({"cli": cli_cmd(full, 1)}, 1)["cli"]
    row("CLI -j1", bench({"cli": cli_cmd(quarter, 1)}, 1)["cli"], cli_full, cli_cmd(full, 1))
    text = table(["command", f"{quarter.label} MiB", f"{full.label} MiB", "growth"], rows)
    text += (
        f"\n\n{quarter.label}: every 4th file, {len(quarter.paths)} files, {quarter.lines:,} lines; "
        f"{full.label}: {len(full.paths)} files, {full.lines:,} lines.  Peak RSS is ru_maxrss of "
        "RUSAGE_CHILDREN in a small launcher: the largest single process, not a sum over worker processes."
    )
    rep.section("peak memory as the corpus grows (transformers)", text)


def versions() -> str:
    def ver(dist: str) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(dist)
        except PackageNotFoundError:
            return "absent"

    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return (
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"flake8 {ver('flake8')}, libcst {ver('libcst')}, {DIST} {ver(DIST)} at {rev.stdout.strip() or '?'}; "
        f"TorchFix {TORCHFIX_VERSION}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per command; the median is reported")
    parser.add_argument("--quick", action="store_true", help="only the first 300 files of each corpus")
    parser.add_argument("--files", type=int, help="only the first N files of each corpus")
    parser.add_argument(
        "--torchfix-lines", type=int, help="about how many lines of each corpus TorchFix gets "
        "(default 20,000; 5,000 with --quick)",
    )
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these sections")
    parser.add_argument("--corpus", choices=FLAKE8_CORPORA, action="append",
                        help="the flake8 section on these corpora only (e.g. more --runs for the stdlib)")
    args = parser.parse_args(argv)
    limit = args.files or (300 if args.quick else None)
    sections = args.only or SECTIONS

    corpus.ensure()
    tag = f"first {limit}" if limit else ""
    corpora = {n: Corpus(n, corpus.files(n)[:limit], tag) for n in ("transformers", "timm", "stdlib")}
    full = corpora["transformers"]
    quarter = Corpus(full.name, full.paths[::4], ", ".join(filter(None, [tag, "25%"])))
    sample_lines = args.torchfix_lines or (5_000 if args.quick else 20_000)
    samples = {n: sample(corpora[n], sample_lines) for n in ("transformers", "timm")}
    if "torchfix" in sections:
        ensure_torchfix()

    rep, results = Report(), {}
    print(f"# flake8-param-check benchmarks\n\n{versions()}\n", flush=True)
    if "flake8" in sections:
        run_flake8(corpora, args.runs, rep, results, tuple(args.corpus or FLAKE8_CORPORA))
    if "cli" in sections:
        run_cli(corpora, args.runs, rep, results)
    if "torchfix" in sections:
        run_torchfix(samples, args.runs, rep)
    if "memory" in sections:
        run_memory(corpora, quarter, rep, results)

    summary = table(["figure", "command", "result", "target", "status"], rep.summary)
    rep.section("summary", summary)
    RESULTS.mkdir(exist_ok=True)
    report = f"# flake8-param-check benchmarks\n\n{versions()}\n\n" + "\n".join(rep.parts)
    (RESULTS / "latest.md").write_text(report)
    print(f"(report saved to {(RESULTS / 'latest.md').relative_to(HERE.parent)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
