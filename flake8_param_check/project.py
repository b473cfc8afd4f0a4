"""Following imports to the other files of the same source tree.

``class Detect(BaseHead)`` with ``from .heads import BaseHead``: whether ``Detect`` is a Module,
and what ``BaseHead`` registers, is in ``heads.py``.  A :class:`Project` maps dotted module names
to files under one source root (the first folder above the file that is not a package) and keeps
one :class:`~.symbols.FileSymbols` per file for the whole process: each file is read and outlined
at most once per run, however many files import it.  A file that is missing, unreadable or
unparsable is simply unknown.
"""

from __future__ import annotations

import ast
import os
import re

from typing import TYPE_CHECKING

from .imports import absolute_module
from .memo import Memo
from .settings import Settings
from .source import physical_lines, read_source

if TYPE_CHECKING:  # pragma: no cover
    from .symbols import FileSymbols, Meaning

_PROJECTS: dict[tuple[str, Settings], "Project"] = {}
#: ``from <dots><module> import <names>`` and ``import <module>`` lines, read from text alone.
_FROM_IMPORT = re.compile(r"[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(\(?)")
_COMMENT = re.compile(r"#[^\n]*")
_IMPORT = re.compile(r"[ \t]*import[ \t]+([\w., \t]+)")
_MAX_DEPTH = 32


def module_of(path: str, package: str) -> str:
    """The dotted module name of the file at ``path`` in ``package``."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem == "__init__":
        return package
    return f"{package}.{stem}" if package else stem


def package_of(path: str) -> tuple[str, str]:
    """(source root, dotted package) of the file at ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    parts: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parts.append(os.path.basename(folder))
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder, ".".join(reversed(parts))


class Project:
    def __init__(self, root: str, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self._files: dict[str, "FileSymbols | None"] = {}
        self._resolving: set[str] = set()
        self._tops: dict[str, bool] = {}
        self._torchy: Memo[bool] = Memo()
        self._reaches: dict[str, bool] = {}

    @classmethod
    def for_file(cls, path: str, settings: Settings) -> tuple["Project", str]:
        """The process-wide project holding ``path``, and the file's package."""
        root, package = package_of(path)
        key = (root, settings)
        project = _PROJECTS.get(key)
        if project is None:
            project = _PROJECTS[key] = cls(root, settings)
        return project, package

    def has_top_level(self, name: str) -> bool:
        """Whether the source root holds a package or module ``name``."""
        found = self._tops.get(name)
        if found is None:
            base = os.path.join(self.root, name)
            found = self._tops[name] = os.path.isdir(base) or os.path.isfile(base + ".py")
        return found

    def module_file(self, module: str) -> str | None:
        base = os.path.join(self.root, *module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None

    def symbols_for(self, path: str, package: str) -> "FileSymbols | None":
        """The symbols of another file of the project, read and outlined once per run."""
        from .index import FileIndex  # the outline comes with them: imported once a file needs it
        from .symbols import FileSymbols

        path = os.path.abspath(path)
        if path in self._files:
            return self._files[path]
        self._files[path] = None  # an import cycle sees "unknown" while the file is read
        try:
            source = read_source(path)
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None
        index = FileIndex(tree, physical_lines(source), package, module=module_of(path, package))
        index.release()
        symbols = FileSymbols(index, self.settings, self)
        self._files[path] = symbols
        return symbols

    def reaches_torch(self, qualname: str) -> bool:
        """Whether the project file that ``qualname`` comes from mentions torch, or imports
        (transitively) a project file that does.  Reads text only, each file once."""
        known = self._reaches.get(qualname)
        if known is None:
            known = self._reaches[qualname] = self._name_reaches_torch(qualname)
        return known

    def _name_reaches_torch(self, qualname: str) -> bool:
        parts = qualname.split(".")
        if qualname.startswith(".") or not self.has_top_level(parts[0]):
            return False
        for cut in range(len(parts), 0, -1):
            path = self.module_file(".".join(parts[:cut]))
            if path is not None:
                return self._file_reaches_torch(path)
        return False

    def _file_reaches_torch(self, path: str) -> bool:
        path = os.path.abspath(path)
        # In an import cycle a file still being read counts as not reaching torch.
        return self._torchy.get(path, lambda: self._read_reaches_torch(path), False)

    def _read_reaches_torch(self, path: str) -> bool:
        try:
            text = read_source(path)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            return False
        return self.settings.mentions_torch(text) or self.imports_reach_torch(text, package_of(path)[1])

    def imports_reach_torch(self, text: str, package: str) -> bool:
        """Whether a file of ``package`` whose source is ``text`` imports, directly or through
        its own imports, a project file that mentions torch.  Reads the import lines of the
        text (those in blocks too), never its tree."""
        return any(self.reaches_torch(name) for name in imported_names(text, package))

    def lookup(self, qualname: str, origin: FileSymbols) -> Meaning | None:
        """What ``qualname`` (``pkg.layers.Block``) names when a file of this project defines or
        re-exports it; ``None`` when no file here does."""
        if qualname.startswith(".") or qualname in self._resolving or len(self._resolving) > _MAX_DEPTH:
            return None
        parts = qualname.split(".")
        if not self.has_top_level(parts[0]):
            return None
        self._resolving.add(qualname)
        try:
            for cut in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:cut])
                path = self.module_file(module)
                if path is None:
                    continue
                package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
                symbols = self.symbols_for(path, package)
                if symbols is None or symbols is origin:
                    return None
                return symbols.lookup(".".join(parts[cut:]))
            return None
        finally:
            self._resolving.discard(qualname)


def imported_names(text: str, package: str) -> list[str]:
    """The absolute dotted names that ``text`` imports (modules, and ``module.name`` for each
    name of a ``from`` import on its first line), found in its text."""
    imported: list[str] = []
    # Only the lines holding the word: a fast substring search finds them, where a multi-line
    # regex would try every line of the file.
    find = text.find
    at = find("import")
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        end = find("\n", at)
        if end == -1:
            end = len(text)
        match = _FROM_IMPORT.match(text, start, end)
        if match is not None:
            level, module, paren = match.groups()
            if paren:  # ``from m import (`` runs to its ``)``, over as many lines as it takes
                close = find(")", match.end())
                end = len(text) if close == -1 else close
            names = _COMMENT.sub("", text[match.end() : end]).replace("\\", " ")
            base = absolute_module(module or None, len(level), package)
            imported.append(base)
            imported.extend(
                f"{base}.{name.split()[0]}"
                for name in names.split(",")
                if name.split() and name.split()[0] != "*"
            )
        else:
            match = _IMPORT.match(text, start, end)
            if match is not None:  # ``import a.b, c as d``
                imported.extend(name.split()[0] for name in match.group(1).split(",") if name.split())
        at = find("import", end)
    return [name for name in imported if name and not name.startswith(".")]


def clear_cache() -> None:
    """Forget every file read so far (tests, and a long-running process after edits)."""
    _PROJECTS.clear()
