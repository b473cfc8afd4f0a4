"""Pinned real-world corpora for the benchmarks, fetched into ``benchmarks/.corpus/``.

    python benchmarks/corpus.py          # download and unpack whatever is missing
    python benchmarks/corpus.py --list   # print each corpus: path, files, lines

Each PyPI corpus is a pinned wheel, fetched with ``pip download --no-deps`` and unpacked as is; the
``stdlib`` corpus is this interpreter's standard library without its test directories.  Running
it again does nothing for what is already there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / ".corpus"
WHEELS_DIR = CORPUS_DIR / "dl"


@dataclass(frozen=True)
class Wheel:
    name: str  #: the corpus name, also the folder it is unpacked to
    project: str  #: the PyPI project
    version: str
    subdir: str  #: the part of the unpacked wheel that is the corpus

    @property
    def unpacked(self) -> Path:
        return CORPUS_DIR / self.name

    @property
    def root(self) -> Path:
        return self.unpacked / self.subdir


WHEELS = (
    Wheel("transformers", "transformers", "5.24.0", "transformers/models"),
    Wheel("timm", "timm", "1.0.31", "timm"),
    Wheel("torchvision", "torchvision", "0.29.1", "torchvision"),
    # Research-style code: lucidrains' transformer variants, pure Python.
    Wheel("x-transformers", "x-transformers", "2.31.10", "x_transformers"),
)
NAMES = tuple(w.name for w in WHEELS) + ("stdlib",)

#: Directories of the standard library that are not part of the corpus.
STDLIB_SKIP = {"test", "tests", "idle_test", "site-packages", "__pycache__"}


def _wheel_file(wheel: Wheel) -> Path | None:
    stem = f"{wheel.project.replace('-', '_')}-{wheel.version}-"
    found = sorted(WHEELS_DIR.glob(f"{stem}*.whl"))
    return found[0] if found else None


def fetch(wheel: Wheel) -> Path:
    """Download and unpack ``wheel`` unless it is already there; return the corpus root."""
    marker = wheel.unpacked / ".complete"
    if marker.exists():
        return wheel.root
    whl = _wheel_file(wheel)
    if whl is None:
        WHEELS_DIR.mkdir(parents=True, exist_ok=True)
        spec = f"{wheel.project}=={wheel.version}"
        print(f"downloading {spec}", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", spec, "-d", str(WHEELS_DIR)],
            check=True,
        )
        whl = _wheel_file(wheel)
        if whl is None:
            raise SystemExit(f"pip download gave no wheel for {spec} in {WHEELS_DIR}")
    print(f"unpacking {whl.name}", file=sys.stderr)
    tmp = wheel.unpacked.with_name(wheel.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(whl) as zf:
        zf.extractall(tmp)
    shutil.rmtree(wheel.unpacked, ignore_errors=True)
    tmp.rename(wheel.unpacked)
    marker.touch()
    return wheel.root


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def root(name: str) -> Path:
    if name == "stdlib":
        return stdlib_root()
    return next(w for w in WHEELS if w.name == name).root


def files(name: str) -> list[Path]:
    """The corpus's ``.py`` files, sorted, so that every tool sees the same list in the same order."""
    base = root(name)
    skip = STDLIB_SKIP if name == "stdlib" else {"__pycache__"}
    return sorted(
        p for p in base.rglob("*.py") if p.is_file() and not skip.intersection(p.relative_to(base).parts)
    )


def count_lines(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in paths)


def ensure() -> None:
    for wheel in WHEELS:
        fetch(wheel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print each corpus's path, files and lines")
    args = parser.parse_args(argv)
    ensure()
    if args.list:
        print(f"{'corpus':<15} {'files':>6} {'lines':>10}  path")
        for name in NAMES:
            paths = files(name)
            print(f"{name:<15} {len(paths):>6} {count_lines(paths):>10,}  {root(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
