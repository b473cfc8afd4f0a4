"""One memo with a cycle guard, for every recursive question the analysis asks.

Whether a class is a Module asks about its bases, what a helper returns asks about the helpers it
calls, what a base class registers asks about its own bases: any of these can loop back on itself
(``class A(B)`` / ``class B(A)``, mutually recursive helpers, import cycles).  :class:`Memo`
computes each answer once, and a question asked again while it is being answered gets the
caller's ``on_cycle`` answer instead of recursing.
"""

from __future__ import annotations

from typing import Callable, Dict, Generic, Hashable, TypeVar

T = TypeVar("T")
_PENDING = object()


class Memo(Generic[T]):
    __slots__ = ("_answers",)

    def __init__(self) -> None:
        self._answers: Dict[Hashable, object] = {}

    def get(self, key: Hashable, compute: Callable[[], T], on_cycle: T) -> T:
        """The answer for ``key``: computed once by ``compute()``; ``on_cycle`` while it runs."""
        answer = self._answers.get(key, _PENDING)
        if answer is _PENDING:
            if key in self._answers:
                return on_cycle
            self._answers[key] = _PENDING
            try:
                answer = compute()
            except BaseException:
                del self._answers[key]  # an aborted question is not answered
                raise
            self._answers[key] = answer
        return answer  # type: ignore[return-value]

    def pending(self, key: Hashable) -> bool:
        """Whether ``key`` is being answered right now (a caller further up is computing it)."""
        return self._answers.get(key, None) is _PENDING

    def clear(self) -> None:
        self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)
