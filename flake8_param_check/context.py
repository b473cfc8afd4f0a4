"""One file as the analysis sees it: its outline, what its names mean, and its parsed pieces.

A :class:`FileContext` answers the questions tensor inference asks (:class:`Resolver`): what does
``nn.Linear`` mean here, is this class an ``nn.Module``, what does this helper return, what does
this base class register.  It parses with libcst only the definitions it is asked about, each once,
and caches every answer.  Names imported from other files of the project are answered by those
files' own contexts through :mod:`.project`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Iterator

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import torch_names as tn
from .index import ClassInfo, FileIndex, FunctionInfo, Span
from .inference import MAX_STEPS, PARAMETER, TENSOR, Budget, Frame, Meaning, Val, Walker, dotted
from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .checker import ClassSummary
    from .project import Project

_IN_PROGRESS = object()
#: Text that shows a class holds tensor state other than through plain assignment.
_EVIDENCE = ("register_", "Parameter", "Buffer", "add_state", "requires_grad", "add_module", "setattr")


class Resolver:
    """What :class:`~.inference.Walker` needs to know about names.  See :class:`FileContext`."""

    def step(self, cost: int = 1) -> None: ...

    def meaning(self, name: str, frame: Frame) -> Meaning | None: ...

    def returns(self, ref: "FunctionRef") -> Val | None: ...

    def is_module_qualname(self, qualname: str) -> bool: ...


class FunctionRef:
    """A function or method defined in some file of the project."""

    __slots__ = ("context", "info")

    def __init__(self, context: "FileContext", info: FunctionInfo) -> None:
        self.context = context
        self.info = info


class ClassRef:
    __slots__ = ("context", "info")

    def __init__(self, context: "FileContext", info: ClassInfo) -> None:
        self.context = context
        self.info = info

    def is_module(self) -> bool:
        return self.context.is_module_class(self.info)

    def summary(self) -> "ClassSummary | None":
        return self.context.summary(self.info)


class FileContext(Resolver):
    def __init__(self, index: FileIndex, settings: Settings, project: "Project | None" = None,
                 reporting: bool = True) -> None:
        self.index = index
        #: False for files read only to answer another file's questions: their classes are
        #: summarised from the init scope alone (what they register), never reported.
        self.reporting = reporting
        #: Walk every method of every class, not only those where a finding may be (the fixer
        #: wants every assignment of an attribute).
        self.complete = False
        self.settings = settings
        self.project = project
        self.steps = 0
        self._parsed: dict[tuple[int, int], tuple[cst.Module, int] | None] = {}
        self._positions: dict[int, object] = {}
        self._is_module: dict[str, object] = {}
        self._returns: dict[int, object] = {}
        self._summaries: dict[str, object] = {}
        self._evidence: dict[str, bool] = {}
        #: First lines of definitions that Python parses and libcst does not (new syntax, odd
        #: whitespace): they are not checked, and the file says so.
        self.unparsed: list[int] = []
        self._call_memo: dict[tuple[str, int], bool] = {}

    def close(self) -> None:
        """Drop every tree and cache, once the file's findings are out.  The context's parts
        refer to each other, so without this the trees would wait for the garbage collector's
        full passes, which would then walk them all (a cost flake8 pays on every file)."""
        for cache in (self._parsed, self._positions, self._summaries, self._returns, self._call_memo,
                      self._is_module, self._evidence):
            cache.clear()  # type: ignore[attr-defined]
        self.index.release()

    # --- budget ----------------------------------------------------------------------------

    def step(self, cost: int = 1) -> None:
        self.steps += cost
        if self.steps > MAX_STEPS:
            raise Budget()

    # --- names -----------------------------------------------------------------------------

    def lookup(self, name: str, scope: str = "") -> Meaning | None:
        """What the dotted ``name`` means at module level (or in ``scope``)."""
        root, _, rest = name.partition(".")
        local_class = self.index.find_class(root, scope) if root not in self.index.imports.aliases else None
        if local_class is not None:
            if not rest:
                # Whether it is a Module is asked only where it matters (``ClassRef.is_module``):
                # deciding it may read the files of its bases.
                return ("class", ClassRef(self, local_class))
            if "." not in rest and rest in local_class.methods:
                return ("function", FunctionRef(self, local_class.methods[rest]))
            return None
        if root in self.index.functions and root not in self.index.imports.aliases:
            return ("function", FunctionRef(self, self.index.functions[root])) if not rest else None
        qualname = self.index.imports.resolve(name)
        if qualname is None:
            return None
        if self.project is not None and not _is_known_library(qualname):
            found = self.project.lookup(qualname, self)
            if found is not None:
                return found
        return ("qualified", qualname)

    def meaning(self, name: str, frame: Frame) -> Meaning | None:
        root = name.partition(".")[0]
        if root in frame.env or root == frame.self_name:
            return None
        return self.lookup(name)

    def is_module_qualname(self, qualname: str) -> bool:
        return tn.is_torch_module_class(qualname) or qualname in self.settings.module_bases

    def is_module_class(self, info: ClassInfo) -> bool:
        cached = self._is_module.get(info.qualname)
        if cached is _IN_PROGRESS:
            return False  # an inheritance cycle: not a Module through this path
        if cached is not None:
            return bool(cached)
        self._is_module[info.qualname] = _IN_PROGRESS
        module = self.index.module
        configured = module is not None and f"{module}.{info.qualname}" in self.settings.module_bases
        result = configured or any(self._base_is_module(base, info) for base in info.bases)
        self._is_module[info.qualname] = result
        return result

    def _base_is_module(self, base: str, info: ClassInfo) -> bool:
        if base in self.settings.module_bases:
            return True
        meaning = self.lookup(base, info.scope)
        if meaning is None:
            return False
        kind, payload = meaning
        if kind == "class":
            return payload.is_module()
        if kind == "qualified":
            return self.is_module_qualname(payload)
        return False

    def base_refs(self, info: ClassInfo) -> Iterator[ClassRef]:
        """The classes of the project that ``info`` inherits from directly."""
        for base in info.bases:
            meaning = self.lookup(base, info.scope)
            if meaning is not None and meaning[0] == "class":
                yield meaning[1]

    def inherits_torch_layer(self, info: ClassInfo, depth: int = 0) -> bool:
        """True when a base is a concrete torch layer (``nn.Linear``), whose own state names
        (``weight``, ``running_mean``) the subclass may update."""
        for base in info.bases:
            meaning = self.lookup(base, info.scope)
            if meaning is None:
                continue
            kind, payload = meaning
            if kind == "qualified" and payload not in tn.MODULE_BASES and tn.is_torch_module_class(payload):
                return True
            if kind == "class" and depth < 20:
                if payload.context.inherits_torch_layer(payload.info, depth + 1):
                    return True
        return False

    def span_text(self, span: Span) -> str:
        return "".join(self.index.lines[span.start - 1 : span.end])

    def class_text(self, info: ClassInfo) -> str:
        return self.span_text(info.span)

    def holds_tensor_state(self, info: ClassInfo) -> bool:
        """Could the class set tensor state that a subclass reads as ``self.<attr>``: it
        registers something or holds Parameters, or inherits such state."""
        cached = self._evidence.get(info.qualname)
        if cached is not None:
            return cached
        self._evidence[info.qualname] = False  # cycles
        result = any(word in self.class_text(info) for word in _EVIDENCE) or self.inherits_state(info)
        self._evidence[info.qualname] = result
        return result

    def inherits_state(self, info: ClassInfo) -> bool:
        """A base of ``info`` (a concrete torch layer, or a project Module class that holds
        tensor state) may have set ``self.<attr>`` to a tensor."""
        if self.inherits_torch_layer(info):
            return True
        return any(ref.is_module() and ref.context.holds_tensor_state(ref.info) for ref in self.base_refs(info))

    def call_may_give(self, name: str, mode: int) -> bool:
        """Whether calling the dotted ``name`` (a file-level or imported name) may give what
        matters in ``mode`` (see :mod:`.gate`).  Follows the name to its definition, in the
        project when it is imported from there, and judges a function by its returns."""
        key = (name, mode)
        cached = self._call_memo.get(key)
        if cached is not None:
            return cached
        self._call_memo[key] = True  # recursion: assume it may
        result = self._call_may_give(name, mode)
        self._call_memo[key] = result
        return result

    def _call_may_give(self, name: str, mode: int) -> bool:
        from .gate import ANY, TOP, Gate

        meaning = self.lookup(name)
        if meaning is None:
            return False  # a builtin or an unknown name: inference gives nothing
        kind, payload = meaning
        if kind == "qualified":
            if payload in tn.TENSOR_FUNCTIONS or payload in tn.TENSOR_CLASSES or payload in tn.VARIABLE_CLASSES:
                return True
            if payload.startswith(tn.INIT_PREFIXES) or payload in tn.COPY_FUNCTIONS:
                return True
            if payload in tn.PARAMETER_CLASSES or payload in tn.BUFFER_CLASSES:
                return mode != TOP
            return mode == ANY and self.is_module_qualname(payload)
        if kind == "class":
            return mode == ANY and payload.is_module()
        if kind == "function":
            ref: FunctionRef = payload
            owner = ref.info.owner
            return not Gate(ref.context, owner, lambda: True).returns_harmless(ref.info, mode)
        return False

    def copies_argument(self, name: str) -> bool:
        """Whether calling the dotted ``name`` gives a copy of its first argument (``deepcopy``)."""
        meaning = self.lookup(name)
        return meaning is not None and meaning[0] == "qualified" and meaning[1] in tn.COPY_FUNCTIONS

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, span: Span) -> tuple[cst.Module, int] | None:
        """The libcst tree of one definition and the line offset to the file, parsed once."""
        key = (span.start, span.end)
        if key in self._parsed:
            return self._parsed[key]
        text, offset = self.index.segment(span)
        module = parse_segment(text)
        parsed = (module, offset) if module is not None else None
        if module is None and self.reporting:
            self.unparsed.append(span.start)
        if self.reporting:  # a file read for other files' questions keeps no trees
            self._parsed[key] = parsed
        return parsed

    def definition(self, span: Span) -> cst.ClassDef | cst.FunctionDef | None:
        parsed = self.parse(span)
        if parsed is None:
            return None
        module = parsed[0]
        if not module.body:
            return None
        node = module.body[0]
        if isinstance(node, cst.If):  # the ``if 1:`` wrapper of an indented definition
            node = node.body.body[0] if node.body.body else None
        return node if isinstance(node, (cst.ClassDef, cst.FunctionDef)) else None

    def position(self, span: Span, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column) of ``node`` in the file."""
        module, offset = self._parsed[(span.start, span.end)]  # type: ignore[misc]
        positions = self._positions.get(id(module))
        if positions is None:
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            self._positions[id(module)] = positions
        start = positions[node].start  # type: ignore[index]
        return start.line + offset, start.column

    # --- helpers ---------------------------------------------------------------------------

    def returns(self, ref: FunctionRef) -> Val | None:
        if ref.context is not self:
            return ref.context.returns(ref)
        key = id(ref.info)
        cached = self._returns.get(key)
        if cached is _IN_PROGRESS:
            return None  # recursion: unknown
        if key in self._returns:
            return cached  # type: ignore[return-value]
        self._returns[key] = _IN_PROGRESS
        result = self._compute_returns(ref.info)
        self._returns[key] = result
        return result

    def _compute_returns(self, info: FunctionInfo) -> Val | None:
        annotated = self.annotation_value(info.node.returns)
        if annotated is not None:
            return annotated
        function = self.definition(info.span)
        if not isinstance(function, cst.FunctionDef):
            return None
        frame = self.frame_for(function, info, in_init=False)
        return Walker(self).run_function(function, frame)

    def annotation_value(self, annotation: object) -> Val | None:
        """A Val for an argument or return annotated ``Tensor`` or ``nn.Parameter``.  Takes
        the ``ast`` annotation (from the outline) or libcst's."""
        name = _annotation_name(annotation)
        if name is None:
            return None
        qualname = self.index.imports.resolve(name)
        if qualname in tn.TENSOR_ANNOTATIONS:
            return Val(TENSOR)
        if qualname in tn.PARAMETER_CLASSES:
            return Val(PARAMETER)
        return None

    def frame_for(self, function: cst.FunctionDef, info: FunctionInfo | None, in_init: bool) -> Frame:
        """A frame whose locals are ``function``'s parameters (tensors when annotated so)."""
        params = function.params
        positional = [*params.posonly_params, *params.params]
        is_static = info is not None and "staticmethod" in info.decorators
        self_name = None
        if info is not None and info.owner is not None and not is_static and positional:
            self_name = positional[0].name.value
            positional = positional[1:]
        env: dict[str, Val | None] = {}
        for param in [*positional, *params.kwonly_params]:
            env[param.name.value] = self.annotation_value(param.annotation.annotation) if param.annotation else None
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                env[star.name.value] = None
        return Frame(env, self_name, function.name.value, in_init)

    # --- classes ---------------------------------------------------------------------------

    def summary(self, info: ClassInfo) -> "ClassSummary | None":
        """What a Module class registers and holds after ``__init__``; computed once."""
        cached = self._summaries.get(info.qualname)
        if cached is _IN_PROGRESS:
            return None
        if info.qualname in self._summaries:
            return cached  # type: ignore[return-value]
        self._summaries[info.qualname] = _IN_PROGRESS
        from .checker import check_class

        result = check_class(self, info, init_only=not self.reporting, complete=self.complete)
        if not self.reporting:
            result.bindings = []  # only the file's own run reports them; keep no trees alive
        self._summaries[info.qualname] = result
        return result


#: The largest definition handed to libcst, in characters.  Larger ones (generated code) are
#: not analysed: a bound on the work one file can cost.
MAX_SEGMENT = 1_000_000
#: libcst's native parser recurses on the C stack, and some shapes that ``ast`` keeps flat (a
#: 20,000-term ``and`` chain) overflow the default 8 MiB stack and kill the process.  Parsing
#: runs in a thread with this much stack instead.
_PARSER_STACK = 512 * 1024 * 1024


def parse_segment(text: str) -> cst.Module | None:
    """libcst's tree of ``text``, or ``None`` when it cannot be parsed safely."""
    if len(text) > MAX_SEGMENT:
        raise Budget()  # generated code: stop this file's analysis, and say so
    result: list[cst.Module | None] = [None]

    def parse() -> None:
        try:
            result[0] = cst.parse_module(text)
        except Exception:  # a syntax libcst does not know, or a parser limit: no findings here
            result[0] = None

    _run_with_big_stack(parse)
    return result[0]


def _run_with_big_stack(function: Callable[[], None]) -> None:
    thread = threading.Thread(target=function, name="flake8-param-check-parse")
    previous = threading.stack_size()
    try:
        threading.stack_size(_PARSER_STACK)
        thread.start()  # the stack size in force when the thread starts is the one it gets
    finally:
        threading.stack_size(previous)
    thread.join()


def _is_known_library(qualname: str) -> bool:
    """Names whose meaning is known without reading their source (a library base such as
    ``transformers.PreTrainedModel`` is a Module, whatever a checkout of it holds)."""
    return qualname in tn.MODULE_BASES or qualname.split(".", 1)[0] in (
        "torch", "numpy", "math", "typing", "collections", "copy", "functools"
    )


def _annotation_name(annotation: object) -> str | None:
    import ast

    if annotation is None:
        return None
    if isinstance(annotation, ast.AST):
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            return annotation.value.strip()
        from .imports import dotted_name

        return dotted_name(annotation) if isinstance(annotation, ast.expr) else None
    if isinstance(annotation, cst.SimpleString):
        value = annotation.evaluated_value
        return value.strip() if isinstance(value, str) else None
    if isinstance(annotation, cst.BaseExpression):
        return dotted(annotation)
    return None
