"""What the names of one file mean: imports, its classes and functions, and which classes are Modules.

A :class:`FileSymbols` answers from the file's outline (:mod:`.index`) alone, without libcst:
what ``nn.Linear`` or ``BaseHead`` names here (a :data:`Meaning`), whether a class is an
``nn.Module`` subclass (through aliases, same-file and cross-file inheritance, configured bases),
and the cheap text questions the gate asks.  Names imported from other files of the project are
answered by those files' own symbols through a :class:`ProjectLookup` (see :mod:`.project`).
"""

from __future__ import annotations

import ast
from typing import Any, Iterator, Optional, Protocol, Union

from . import effects
from . import torch_names as tn
from .index import ClassInfo, FileIndex, FunctionInfo, Span
from .memo import Memo
from .settings import Settings
from .imports import dotted_name
from .values import NONE, Container, Kind, Val, container


class Qualified:
    """A name imported from outside the file: ``torch.nn.Linear``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Qualified({self.name!r})"


class ClassRef:
    """A class defined in some file of the project."""

    __slots__ = ("symbols", "info")

    def __init__(self, symbols: "FileSymbols", info: ClassInfo) -> None:
        self.symbols = symbols
        self.info = info

    def is_module(self) -> bool:
        return self.symbols.is_module_class(self.info)


class FunctionRef:
    """A function or method defined in some file of the project."""

    __slots__ = ("symbols", "info")

    def __init__(self, symbols: "FileSymbols", info: FunctionInfo) -> None:
        self.symbols = symbols
        self.info = info


#: What a dotted name means in a file.
Meaning = Union[Qualified, ClassRef, FunctionRef]


class ProjectLookup(Protocol):
    """What :class:`FileSymbols` asks of the project about names from its other files."""

    def lookup(self, qualname: str, origin: "FileSymbols") -> Optional[Meaning]: ...


class FileSymbols:
    def __init__(self, index: FileIndex, settings: Settings, project: Optional[ProjectLookup] = None) -> None:
        self.index = index
        self.settings = settings
        self.project = project
        self._is_module: Memo[bool] = Memo()
        self._state: Memo[bool] = Memo()
        #: Per-file caches of the layers above (the gate's verdicts, a session), keyed by their
        #: owner: kept as long as these symbols, dropped by :meth:`close`.
        self.caches: dict[str, Any] = {}

    def close(self) -> None:
        """Forget every cached answer and the outline's trees (the file's findings are out)."""
        self._is_module.clear()
        self._state.clear()
        self.caches.clear()
        self.index.release()

    # --- names -----------------------------------------------------------------------------

    def lookup(self, name: str, scope: str = "") -> Optional[Meaning]:
        """What the dotted ``name`` means at module level (or in ``scope``)."""
        root, _, rest = name.partition(".")
        aliases = self.index.imports.aliases
        local_class = self.index.find_class(root, scope) if root not in aliases else None
        if local_class is not None:
            if not rest:
                # Whether it is a Module is asked only where it matters (``ClassRef.is_module``):
                # deciding it may read the files of its bases.
                return ClassRef(self, local_class)
            if "." not in rest and rest in local_class.methods:
                return FunctionRef(self, local_class.methods[rest])
            return None
        if root in self.index.functions and root not in aliases:
            return FunctionRef(self, self.index.functions[root]) if not rest else None
        qualname = self.index.imports.resolve(name)
        if qualname is None:
            return None
        if self.project is not None and not _is_known_library(qualname):
            found = self.project.lookup(qualname, self)
            if found is not None:
                return found
        return Qualified(qualname)

    def call(self, name: str) -> Optional[effects.Call]:
        """What calling the imported dotted ``name`` gives, by the effects table."""
        meaning = self.lookup(name)
        if isinstance(meaning, Qualified):
            return effects.call(meaning.name, self.settings.module_bases)
        return None

    def annotation_value(self, source: str) -> Optional[Val]:
        """What a value annotated with the text ``source`` holds (see :meth:`annotated`)."""
        try:
            node = ast.parse(source.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return self.annotated(node)

    def annotated(self, node: Optional[ast.expr], depth: int = 0) -> Optional[Val]:
        """What a value annotated ``node`` holds: ``Tensor`` and ``nn.Parameter`` by name,
        through ``Optional[...]``, ``Union[..., None]``, ``X | None`` and strings; ``Tuple[...]``
        and ``tuple[X, ...]`` as tuples of those."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return self.annotation_value(node.value) if depth < 8 else None
            return NONE if node.value is None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right], depth)
        if isinstance(node, ast.Subscript):
            generic = self._typing_name(node.value)
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if generic == "Optional":
                return self.annotated(args[0], depth + 1)
            if generic == "Union":
                return self._union(args, depth)
            if generic in ("Tuple", "tuple"):
                if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                    return container(Container.TUPLE, [self.annotated(args[0], depth + 1)])
                return container(Container.TUPLE, [self.annotated(a, depth + 1) for a in args], exact=True)
            return None
        name = dotted_name(node)
        qualname = self.index.imports.resolve(name) if name else None
        kind = effects.annotation(qualname, self.settings.module_bases)
        return Val(kind) if kind is not None else None

    def _union(self, members: list[ast.expr], depth: int) -> Optional[Val]:
        values = [self.annotated(m, depth + 1) for m in members]
        known = {v.kind for v in values if v is not None and v.kind is not Kind.NONE}
        if len(known) != 1 or any(v is None for v in values):
            return None
        return next(v for v in values if v is not None and v.kind is not Kind.NONE)

    def _typing_name(self, node: ast.expr) -> Optional[str]:
        """``Optional``, ``Union``, ``Tuple`` (from typing) or the builtin ``tuple``."""
        name = dotted_name(node)
        if name is None:
            return None
        qualname = self.index.imports.resolve(name)
        if qualname is None:
            return name if name == "tuple" and name not in self.index.imports.local_names else None
        module, _, last = qualname.rpartition(".")
        return last if module in ("typing", "typing_extensions") else None

    # --- Module classes --------------------------------------------------------------------

    def is_module_class(self, info: ClassInfo) -> bool:
        # An inheritance cycle is not a Module through that path.
        key = (info.qualname, info.span.start)  # a name may be defined twice in a file
        return self._is_module.get(key, lambda: self._compute_is_module(info), False)

    def _compute_is_module(self, info: ClassInfo) -> bool:
        module = self.index.module
        if module is not None and f"{module}.{info.qualname}" in self.settings.module_bases:
            return True
        return any(self._base_is_module(base, info) for base in info.bases)

    def _base_is_module(self, base: str, info: ClassInfo) -> bool:
        if base in self.settings.module_bases:
            return True
        meaning = self.lookup(base, info.scope)
        if isinstance(meaning, ClassRef):
            return meaning.is_module()
        if isinstance(meaning, Qualified):
            return effects.is_module_class(meaning.name, self.settings.module_bases)
        return False

    def base_refs(self, info: ClassInfo) -> Iterator[ClassRef]:
        """The classes of the project that ``info`` inherits from directly."""
        for base in info.bases:
            meaning = self.lookup(base, info.scope)
            if isinstance(meaning, ClassRef):
                yield meaning

    def inherits_torch_layer(self, info: ClassInfo, depth: int = 0) -> bool:
        """True when a base is a concrete torch layer (``nn.Linear``), whose own state names
        (``weight``, ``running_mean``) the subclass may update."""
        for base in info.bases:
            meaning = self.lookup(base, info.scope)
            if isinstance(meaning, Qualified):
                if meaning.name not in tn.MODULE_BASES and tn.is_torch_module_class(meaning.name):
                    return True
            elif isinstance(meaning, ClassRef) and depth < 20:
                if meaning.symbols.inherits_torch_layer(meaning.info, depth + 1):
                    return True
        return False

    def holds_tensor_state(self, info: ClassInfo) -> bool:
        """Could the class set tensor state that a subclass reads as ``self.<attr>``: it
        registers something or holds Parameters, or inherits such state."""
        return self._state.get(
            (info.qualname, info.span.start),
            lambda: any(word in self.class_text(info) for word in tn.STATE_WORDS)
            or self.inherits_state(info),
            False,
        )

    def inherits_state(self, info: ClassInfo) -> bool:
        """A base of ``info`` (a concrete torch layer, or a project Module class that holds
        tensor state) may have set ``self.<attr>`` to a tensor."""
        if self.inherits_torch_layer(info):
            return True
        return any(
            ref.is_module() and ref.symbols.holds_tensor_state(ref.info) for ref in self.base_refs(info)
        )

    # --- text ------------------------------------------------------------------------------

    def span_text(self, span: Span) -> str:
        return "".join(self.index.lines[span.start - 1 : span.end])

    def class_text(self, info: ClassInfo) -> str:
        return self.span_text(info.span)


def _is_known_library(qualname: str) -> bool:
    """Names whose meaning is known without reading their source (a library base such as
    ``transformers.PreTrainedModel`` is a Module, whatever a checkout of it holds)."""
    return qualname in tn.MODULE_BASES or qualname.split(".", 1)[0] in tn.KNOWN_LIBRARY_ROOTS
