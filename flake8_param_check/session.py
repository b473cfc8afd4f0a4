"""One file's libcst work: parsed definitions, positions, helper returns and class summaries.

A :class:`Session` is what the tensor inference and the class walk talk to (it is their
:class:`~.inference.Resolver` and :class:`~.classwalk.Classes`).  It parses with libcst only the
definitions it is asked about, each once, and computes every answer once: what a helper returns,
what a class registers.  Names are answered by the file's :class:`~.symbols.FileSymbols`; a class
or function of another file is answered by that file's own session (:func:`session_of`).
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from . import torch_names as tn
from .classwalk import ClassSummary, Discarded, FunctionWalk, MethodRef, walk_class
from .index import ClassInfo, FunctionInfo, Span
from .inference import MAX_STEPS, Budget, Frame, Walker, frame_for
from .memo import Memo
from .symbols import ClassRef, FileSymbols, FunctionRef, Meaning
from .values import Kind, Val

#: The largest definition handed to libcst, in characters.  Larger ones (generated code) are
#: not analysed: a bound on the work one file can cost.
MAX_SEGMENT = 1_000_000
#: libcst's native parser recurses on the C stack, and some shapes that ``ast`` keeps flat (a
#: 20,000-term ``and`` chain) overflow the default 8 MiB stack and kill the process.  Parsing
#: runs in a thread with this much stack instead.
_PARSER_STACK = 512 * 1024 * 1024
_KEY = "session"


class Session:
    def __init__(self, symbols: FileSymbols, reporting: bool = True, complete: bool = False,
                 words: tuple[str, ...] = tn.TRAINABLE_WORDS) -> None:
        self.symbols = symbols
        self.module_bases = symbols.settings.module_bases
        #: False for files read only to answer another file's questions: their classes are
        #: summarised from the init scope alone (what they register), never reported.
        self.reporting = reporting
        #: Walk every method of every class, not only those where a finding may be (the fixer
        #: wants every assignment of an attribute).
        self.complete = complete
        #: Outside the init scope, a method is walked only when it holds one of these words.
        self.words = words
        self.steps = 0
        self._parsed: dict[tuple[int, int], Optional[tuple[cst.Module, int]]] = {}
        self._positions: dict[int, object] = {}
        self._returns: Memo[Optional[Val]] = Memo()
        self._summaries: Memo[Optional[ClassSummary]] = Memo()
        #: First lines of definitions that Python parses and libcst does not (new syntax, odd
        #: whitespace): they are not checked, and the file says so.
        self.unparsed: list[int] = []
        symbols.caches[_KEY] = self

    def close(self) -> None:
        """Drop every tree and cache, once the file's findings are out.  The session's parts
        refer to each other, so without this the trees would wait for the garbage collector's
        full passes, which would then walk them all (a cost flake8 pays on every file)."""
        self._parsed.clear()
        self._positions.clear()
        self._returns.clear()
        self._summaries.clear()
        self.symbols.close()

    # --- Resolver --------------------------------------------------------------------------

    def step(self, cost: int = 1) -> None:
        self.steps += cost
        if self.steps > MAX_STEPS:
            raise Budget()

    def meaning(self, name: str, frame: Frame) -> Optional[Meaning]:
        root = name.partition(".")[0]
        if root in frame.env or root == frame.self_name:
            return None
        return self.symbols.lookup(name)

    def annotation_value(self, source: str) -> Optional[Val]:
        return self.symbols.annotation_value(source)

    def lookup(self, name: str, scope: str = "") -> Optional[Meaning]:
        return self.symbols.lookup(name, scope)

    def returns(self, ref: FunctionRef) -> Optional[Val]:
        """What calling ``ref`` gives: its return annotation, else the join of its returns,
        computed once (a recursive call gives nothing known)."""
        if ref.symbols is not self.symbols:
            return session_of(ref.symbols).returns(ref)
        return self._returns.get(id(ref.info), lambda: self._compute_returns(ref.info), None)

    def _compute_returns(self, info: FunctionInfo) -> Optional[Val]:
        annotated = self.symbols.annotated(info.node.returns)
        if annotated is not None and annotated.kind is not Kind.NONE:
            return annotated
        function = self.definition(info.span)
        if not isinstance(function, cst.FunctionDef):
            return None
        return Walker(self).run_function(function, frame_for(function, info, False, self.symbols))

    # --- Classes ---------------------------------------------------------------------------

    def summary(self, ref: ClassRef) -> Optional[ClassSummary]:
        if ref.symbols is not self.symbols:
            return session_of(ref.symbols).summary(ref)
        return self.class_summary(ref.info)

    def class_summary(self, info: ClassInfo) -> Optional[ClassSummary]:
        """What a Module class of this file registers and holds after ``__init__``; computed
        once (``None`` inside an inheritance cycle)."""
        return self._summaries.get((info.qualname, info.span.start), lambda: self._walk(info), None)

    def _walk(self, info: ClassInfo) -> ClassSummary:
        result = walk_class(self, self.symbols, info, init_only=not self.reporting, complete=self.complete,
                            words=self.words)
        if not self.reporting:
            # Only the file's own run reports them; keep no trees alive.
            result.bindings, result.constructions, result.discarded = [], [], []
        return result

    def function_facts(self, info: FunctionInfo) -> list[Discarded]:
        """The discarded conversions of a function outside a Module class."""
        function = self.definition(info.span)
        if not isinstance(function, cst.FunctionDef):
            return []
        return FunctionWalk(self, info).run(function)

    def method(self, ref: MethodRef) -> Optional[cst.FunctionDef]:
        session = self if ref.symbols is self.symbols else session_of(ref.symbols)
        node = session.definition(ref.info.span)
        return node if isinstance(node, cst.FunctionDef) else None

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, span: Span) -> Optional[tuple[cst.Module, int]]:
        """The libcst tree of one definition and the line offset to the file, parsed once."""
        key = (span.start, span.end)
        if key in self._parsed:
            return self._parsed[key]
        text, offset = self.symbols.index.segment(span)
        module = parse_segment(text)
        parsed = (module, offset) if module is not None else None
        if module is None and self.reporting:
            self.unparsed.append(span.start)
        if self.reporting:  # a file read for other files' questions keeps no trees
            self._parsed[key] = parsed
        return parsed

    def definition(self, span: Span) -> "cst.ClassDef | cst.FunctionDef | None":
        parsed = self.parse(span)
        if parsed is None:
            return None
        module = parsed[0]
        if not module.body:
            return None
        node: Optional[cst.CSTNode] = module.body[0]
        if isinstance(node, cst.If):  # the ``if 1:`` wrapper of an indented definition
            node = node.body.body[0] if node.body.body else None
        return node if isinstance(node, (cst.ClassDef, cst.FunctionDef)) else None

    def position(self, span: Span, node: cst.CSTNode) -> tuple[int, int]:
        """(1-based line, 0-based column) of ``node`` in the file."""
        parsed = self._parsed[(span.start, span.end)]
        assert parsed is not None
        module, offset = parsed
        positions = self._positions.get(id(module))
        if positions is None:
            positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            self._positions[id(module)] = positions
        start = positions[node].start  # type: ignore[index]
        return start.line + offset, start.column


def session_of(symbols: FileSymbols) -> Session:
    """The session of the file ``symbols`` belong to: the reporting one while that file is
    analysed, else one that only answers other files' questions (kept with the symbols)."""
    session = symbols.caches.get(_KEY)
    if session is None:
        session = Session(symbols, reporting=False)
    return session


def parse_segment(text: str) -> Optional[cst.Module]:
    """libcst's tree of ``text``, or ``None`` when it cannot be parsed safely."""
    if len(text) > MAX_SEGMENT:
        raise Budget()  # generated code: stop this file's analysis, and say so
    result: list[Optional[cst.Module]] = [None]

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
