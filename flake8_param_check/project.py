"""Following imports to the other files of the same source tree.

``class Detect(BaseHead)`` with ``from .heads import BaseHead``: whether ``Detect`` is a Module,
and what ``BaseHead`` registers, is in ``heads.py``.  A :class:`Project` maps dotted module names
to files under one source root (the first folder above the file that is not a package) and keeps
one :class:`~.symbols.FileSymbols` per file for the whole process: each file is read and outlined
at most once per run, however many files import it.  A file that is missing, unreadable or
unparsable is simply unknown.

**Source roots above the file's own.**  Research code often has no ``__init__.py`` at all
(``src/models/layers.py``, imported as ``models.layers`` by a script run from ``src/``).  An
absolute import whose top-level name is not under the file's own source root is looked for in the
folders above it, nearest first: the first that holds a folder (package or not) or a ``.py`` file
of that name is the source root for that name.  The search goes at most
:data:`_MAX_ANCESTORS` folders up, stops at a folder that marks a project (``.git``,
``pyproject.toml``, ... : :data:`_PROJECT_MARKERS`) after looking there, and never looks for the
standard library's names or the known libraries' (a namespace folder never hides those).

**Star imports** (``from .layers import *``): a name the file does not bind otherwise resolves
to ``*.name`` (see :mod:`.imports`), answered by :meth:`Project.lookup` from the star-imported
modules, the last first, as Python binds them.  A module of the tree gives what its ``__all__``
lists when that is a literal, else its public top-level names, its own star imports included.
A module outside the tree is not read: a name is taken from it only when nothing else can bind
it (no other star import may, and it is not a builtin), so that the code could not run
otherwise.  Whatever is uncertain (a computed ``__all__``, ``globals()`` writes, an unreadable
module, a cycle of star imports) leaves the name unknown.
"""

from __future__ import annotations

import ast
import builtins
import enum
import os
import re
import sys

from typing import TYPE_CHECKING

from . import torch_names as tn
from .imports import STAR, ModuleNames, absolute_module, module_names
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
#: Lookups (and star-import questions) in progress, over every project: a question asked again
#: while it is answered is a cycle, and more than this many at once is too deep to follow.
_MAX_DEPTH = 32
_ACTIVE: set[tuple[str, str]] = set()

#: How many folders above a file's own source root are searched for a top-level name.
_MAX_ANCESTORS = 5
#: What marks the root of a project (a checkout): the search goes no higher.
_PROJECT_MARKERS = (".git", ".hg", ".svn", "pyproject.toml", "setup.cfg", "setup.py")
#: Top-level names never looked for above a file's own source root: Python finds these first.
_NOT_SEARCHED = (
    frozenset(getattr(sys, "stdlib_module_names", ()))
    | frozenset(sys.builtin_module_names)
    | tn.KNOWN_LIBRARY_ROOTS
)
_MARKED: dict[str, bool] = {}
_ANCESTOR_ROOTS: dict[tuple[str, str], "str | None"] = {}

_BUILTINS = frozenset(dir(builtins))
#: Qualified names known to exist, so known to be bound by a star import of their module
#: (``from torch.nn import *`` binds ``Module`` and ``Parameter``).
_KNOWN_NAMES = (
    tn.MODULE_BASES | tn.PARAMETER_CLASSES | tn.BUFFER_CLASSES | tn.TENSOR_FUNCTIONS | tn.TENSOR_CLASSES
)


class _Star(enum.Enum):
    """What a star import of one module binds a given name to."""

    NO = "not bound"
    YES = "bound"
    MAYBE = "maybe bound, and then to the module's name (a module outside the tree)"
    UNKNOWN = "maybe bound, to something not known"


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


def _holds(folder: str, name: str) -> bool:
    """Whether ``folder`` holds a package (or a folder of modules) or a module ``name``."""
    base = os.path.join(folder, name)
    return os.path.isdir(base) or os.path.isfile(base + ".py")


def _is_project_root(folder: str) -> bool:
    marked = _MARKED.get(folder)
    if marked is None:
        marked = _MARKED[folder] = any(os.path.exists(os.path.join(folder, m)) for m in _PROJECT_MARKERS)
    return marked


def ancestor_root(root: str, name: str) -> str | None:
    """The nearest folder above the source root ``root`` that holds the top-level name ``name``,
    within :data:`_MAX_ANCESTORS` folders and not above a project's root; once per pair."""
    key = (root, name)
    if key in _ANCESTOR_ROOTS:
        return _ANCESTOR_ROOTS[key]
    found = None
    if name.isidentifier() and name not in _NOT_SEARCHED:
        folder = root
        for _ in range(_MAX_ANCESTORS):
            parent = os.path.dirname(folder)
            if parent == folder or _is_project_root(folder):
                break
            folder = parent
            if _holds(folder, name):
                found = folder
                break
    _ANCESTOR_ROOTS[key] = found
    return found


class Project:
    def __init__(self, root: str, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self._files: dict[str, "FileSymbols | None"] = {}
        self._names: dict[str, ModuleNames | None] = {}
        self._tops: dict[str, bool] = {}
        self._torchy: Memo[bool] = Memo()
        self._reaches: dict[str, bool] = {}
        self._provides: Memo[_Star] = Memo()
        self._star_sources: dict[tuple[tuple[str, ...], str], tuple[_Star, str | None]] = {}

    @classmethod
    def for_file(cls, path: str, settings: Settings) -> tuple["Project", str]:
        """The process-wide project holding ``path``, and the file's package."""
        root, package = package_of(path)
        return cls.for_root(root, settings), package

    @classmethod
    def for_root(cls, root: str, settings: Settings) -> "Project":
        key = (root, settings)
        project = _PROJECTS.get(key)
        if project is None:
            project = _PROJECTS[key] = cls(root, settings)
        return project

    def has_top_level(self, name: str) -> bool:
        """Whether the source root holds a package or module ``name``."""
        found = self._tops.get(name)
        if found is None:
            found = self._tops[name] = _holds(self.root, name)
        return found

    def owner_of(self, name: str) -> "Project | None":
        """The project that holds the top-level package or module ``name``: this one, else the
        one of the nearest folder above that holds it (see :func:`ancestor_root`)."""
        if self.has_top_level(name):
            return self
        root = ancestor_root(self.root, name)
        return None if root is None else Project.for_root(root, self.settings)

    def module_file(self, module: str) -> str | None:
        base = os.path.join(self.root, *module.split("."))
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
        return None

    def module_path(self, module: str) -> tuple[str, str] | None:
        """(file, package of the file) of the dotted ``module`` under this source root."""
        path = self.module_file(module)
        if path is None:
            return None
        return path, module if path.endswith("__init__.py") else module.rpartition(".")[0]

    def symbols_for(self, path: str, package: str) -> "FileSymbols | None":
        """The symbols of another file of the project, read and outlined once per run."""
        path = os.path.abspath(path)
        if path not in self._files:
            self._read(path, package)
        return self._files[path]

    def _read(self, path: str, package: str) -> tuple[str, ast.Module] | None:
        """Read, parse and outline the file at ``path`` (its symbols go to ``_files``); its source
        and tree, or ``None`` when it cannot be read."""
        from .index import FileIndex  # the outline comes with them: imported once a file needs it
        from .symbols import FileSymbols

        self._files[path] = None  # an import cycle sees "unknown" while the file is read
        try:
            source = read_source(path)
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
            return None
        index = FileIndex(tree, physical_lines(source), package, module=module_of(path, package))
        index.release()
        self._files[path] = FileSymbols(index, self.settings, self)
        return source, tree

    def module_names(self, path: str, package: str) -> ModuleNames | None:
        """What ``from <the module at path> import *`` binds; ``None`` when it cannot be read.
        Read once per run, with the file's symbols (from its kept lines if those came first)."""
        path = os.path.abspath(path)
        if path in self._names:
            return self._names[path]
        self._names[path] = None
        if path not in self._files:
            parsed = self._read(path, package)
        else:
            symbols, parsed = self._files[path], None
            if symbols is not None:
                source = "".join(symbols.index.lines)
                try:
                    parsed = source, ast.parse(source)
                except (SyntaxError, ValueError, RecursionError, MemoryError):  # pragma: no cover
                    parsed = None
        if parsed is not None:
            self._names[path] = module_names(parsed[1], package, parsed[0])
        return self._names[path]

    def reaches_torch(self, qualname: str) -> bool:
        """Whether the project file that ``qualname`` comes from mentions torch, or imports
        (transitively) a project file that does.  Reads text only, each file once."""
        known = self._reaches.get(qualname)
        if known is None:
            known = self._reaches[qualname] = self._name_reaches_torch(qualname)
        return known

    def _name_reaches_torch(self, qualname: str) -> bool:
        if qualname.startswith("."):
            return False
        parts = qualname.split(".")
        owner = self.owner_of(parts[0])
        if owner is None:
            return False
        if owner is not self:
            return owner.reaches_torch(qualname)
        for cut in range(len(parts), 0, -1):
            found = self.module_path(".".join(parts[:cut]))
            if found is not None:
                return self._file_reaches_torch(*found)
        return False

    def _file_reaches_torch(self, path: str, package: str) -> bool:
        path = os.path.abspath(path)
        # In an import cycle a file still being read counts as not reaching torch.
        return self._torchy.get(path, lambda: self._read_reaches_torch(path, package), False)

    def _read_reaches_torch(self, path: str, package: str) -> bool:
        try:
            text = read_source(path)
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            return False
        return self.settings.mentions_torch(text) or self.imports_reach_torch(text, package)

    def imports_reach_torch(self, text: str, package: str) -> bool:
        """Whether a file of ``package`` whose source is ``text`` imports, directly or through
        its own imports, a project file that mentions torch.  Reads the import lines of the
        text (those in blocks too), never its tree."""
        return any(self.reaches_torch(name) for name in imported_names(text, package))

    def lookup(self, qualname: str, origin: FileSymbols) -> Meaning | None:
        """What ``qualname`` (``pkg.layers.Block``) names when a file of this project (or of a
        source root above it) defines or re-exports it; ``None`` when no file here does.
        ``*.name`` is a name of ``origin`` that only its star imports can bind."""
        if qualname.startswith(STAR):
            return self._star_lookup(qualname[len(STAR):], origin)
        if qualname.startswith("."):
            return None
        parts = qualname.split(".")
        owner = self.owner_of(parts[0])
        if owner is None:
            return None
        key = (owner.root, qualname)
        if key in _ACTIVE or len(_ACTIVE) > _MAX_DEPTH:
            return None
        _ACTIVE.add(key)
        try:
            for cut in range(len(parts) - 1, 0, -1):
                found = owner.module_path(".".join(parts[:cut]))
                if found is None:
                    continue
                symbols = owner.symbols_for(*found)
                if symbols is None or symbols is origin:
                    return None
                return symbols.lookup(".".join(parts[cut:]))
            return None
        finally:
            _ACTIVE.discard(key)

    # --- star imports ----------------------------------------------------------------------

    def _star_lookup(self, dotted: str, origin: FileSymbols) -> Meaning | None:
        """What ``dotted`` names in ``origin``, whose root only its star imports can bind."""
        root = dotted.partition(".")[0]
        answer, module = self.star_source(origin.index.imports.stars, root)
        if module is None:
            return None
        if self._in_tree(module) is None:
            from .symbols import Qualified

            return Qualified(f"{module}.{dotted}")
        return self.lookup(f"{module}.{dotted}", origin)

    def star_source(self, stars: tuple[str, ...], name: str) -> tuple[_Star, str | None]:
        """Which of the star-imported ``stars`` (in order) binds ``name``, and how surely: the
        last that may bind it, when it surely does, or when no other may (Python would raise
        ``NameError`` otherwise).  (``NO``, ``None``) when none does, (``UNKNOWN``, ``None``)
        when that is not known."""
        key = (stars, name)
        known = self._star_sources.get(key)
        if known is None:
            known = self._star_sources[key] = self._find_star_source(stars, name)
        return known

    def _find_star_source(self, stars: tuple[str, ...], name: str) -> tuple[_Star, str | None]:
        for at in range(len(stars) - 1, -1, -1):
            answer = self._binds(stars[at], name)
            if answer is _Star.NO:
                continue
            if answer is _Star.YES:
                return answer, stars[at]
            # Outside the tree: the source only when no earlier star import may bind it either.
            if answer is _Star.MAYBE and all(self._binds(other, name) is _Star.NO for other in stars[:at]):
                return answer, stars[at]
            return _Star.UNKNOWN, None
        return _Star.NO, None

    def _in_tree(self, module: str) -> "tuple[Project, tuple[str, str] | None] | None":
        """The project whose source root holds the top-level name of the dotted ``module``, and
        the module's (file, package) there if it has one; ``None`` for a module outside the tree."""
        top = module.partition(".")[0]
        if top in tn.KNOWN_LIBRARY_ROOTS:
            return None
        owner = self.owner_of(top)
        return None if owner is None else (owner, owner.module_path(module))

    def _binds(self, module: str, name: str) -> _Star:
        """What ``from <module> import *`` binds ``name`` to."""
        if not module or module.startswith("."):
            return _Star.UNKNOWN  # a relative import of a file whose package is not known
        located = self._in_tree(module)
        if located is not None:
            owner, found = located
            if found is None:
                return _Star.UNKNOWN  # the tree has the package but not the module
            return owner._file_binds(*found, name)
        # A module outside the tree is not read: it may bind any public name but a builtin's
        # (``from torch import *`` binds ``max``: that is not a name to guess at).
        if name.startswith("_") or name in _BUILTINS:
            return _Star.UNKNOWN
        return _Star.YES if f"{module}.{name}" in _KNOWN_NAMES else _Star.MAYBE

    def _file_binds(self, path: str, package: str, name: str) -> _Star:
        """What a star import of the file at ``path`` binds ``name`` to; once per run.  A cycle
        of star imports binds nothing known."""
        return self._provides.get((path, name), lambda: self._guarded_file_binds(path, package, name),
                                  _Star.UNKNOWN)

    def _guarded_file_binds(self, path: str, package: str, name: str) -> _Star:
        if len(_ACTIVE) > _MAX_DEPTH:
            return _Star.UNKNOWN
        key = (path, "*" + name)
        _ACTIVE.add(key)
        try:
            return self._compute_file_binds(path, package, name)
        finally:
            _ACTIVE.discard(key)

    def _compute_file_binds(self, path: str, package: str, name: str) -> _Star:
        names = self.module_names(path, package)
        if names is None or names.computed_all:
            return _Star.UNKNOWN
        if names.public is not None:
            return _Star.YES if name in names.public else _Star.NO
        if name.startswith("_"):
            return _Star.NO
        if name in names.uncertain:
            return _Star.UNKNOWN
        if name in names.bound:
            return _Star.YES
        answer = self.star_source(names.stars, name)[0]
        if answer is _Star.NO and names.dynamic:
            return _Star.UNKNOWN
        return answer


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
    _MARKED.clear()
    _ANCESTOR_ROOTS.clear()
