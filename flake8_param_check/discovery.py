"""Which files a run checks.

Folders are walked recursively for ``*.py`` files, and ``*.ipynb`` notebooks unless they are left
out, without following symlinked folders (so a symlink loop cannot hang the walk); version-control,
virtual-environment, build, cache and notebook-checkpoint folders are skipped, and so is anything
the ``exclude`` patterns match (by name or by path, like flake8).  A file named explicitly is
checked whatever its suffix, unless an exclude pattern matches it, or it is a notebook and
notebooks are left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Iterable, Iterator, Sequence

STDIN = "-"
PYTHON_SUFFIX = ".py"
NOTEBOOK_SUFFIX = ".ipynb"

#: Folder names never entered while walking.
SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "CVS",
        ".venv", "venv", "env",
        "build", "dist", "__pycache__", ".eggs",
        ".tox", ".nox", "node_modules",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
    }
)  # fmt: skip


@dataclass(frozen=True)
class PathPatterns:
    """fnmatch patterns; those naming a path (holding a ``/``) are relative to ``base``."""

    patterns: tuple[str, ...] = ()
    base: str = "."

    def matches(self, path: str) -> bool:
        if not self.patterns:
            return False
        name = os.path.basename(os.path.normpath(path))
        absolute = os.path.abspath(path)
        relative = _relative(absolute, os.path.abspath(self.base))
        for pattern in self.patterns:
            if name not in (".", "..") and fnmatch(name, pattern):
                return True
            if relative != "." and fnmatch(relative, pattern):
                return True
            if "/" in pattern or os.sep in pattern:
                anchored = os.path.abspath(os.path.join(self.base, pattern))
                if fnmatch(absolute, anchored):
                    return True
        return False


def _relative(path: str, base: str) -> str:
    try:
        return os.path.relpath(path, base).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path


def combine(*groups: PathPatterns) -> tuple[PathPatterns, ...]:
    return tuple(group for group in groups if group.patterns)


def _excluded(path: str, excludes: Sequence[PathPatterns]) -> bool:
    return any(group.matches(path) for group in excludes)


def is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _skip_dir(path: str, name: str, excludes: Sequence[PathPatterns]) -> bool:
    return name in SKIPPED_DIRS or is_virtualenv(path) or _excluded(path, excludes)


def is_notebook(path: str) -> bool:
    """Whether ``path`` is read as a Jupyter notebook: by its suffix alone, never its content."""
    return path.lower().endswith(NOTEBOOK_SUFFIX)


def _walk(root: str, excludes: Sequence[PathPatterns], notebooks: bool) -> Iterator[str]:
    suffixes = (PYTHON_SUFFIX, NOTEBOOK_SUFFIX) if notebooks else (PYTHON_SUFFIX,)
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _skip_dir(os.path.join(folder, d), d, excludes))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(suffixes) and not _excluded(path, excludes):
                yield path


def discover(
    paths: Iterable[str], excludes: Sequence[PathPatterns] = (), notebooks: bool = True
) -> list[str]:
    """The files to check, in a stable order, each once; ``-`` (stdin) is passed through.

    A path that does not exist is passed through too, so that reading it reports the error.
    ``notebooks=False`` leaves out every notebook, named or found.
    """
    found: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if path == STDIN:
            candidates: Iterable[str] = [path]
        elif _excluded(path, excludes) or (not notebooks and is_notebook(path)):
            continue
        elif os.path.isdir(path):
            candidates = _walk(path, excludes, notebooks)
        else:
            candidates = [path]
        for candidate in candidates:
            key = candidate if candidate == STDIN else os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found
