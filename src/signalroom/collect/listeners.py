"""The recorder's per-event listeners: tiny, slotted, and never letting an error reach LiveKit."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, Protocol


class _Counts(Protocol):
    def _count_error(self, where: str) -> None: ...


HandlerObserver = Callable[[str, float], None]


class Listener:
    """One session event's handler: runs the recorder's method for it inside the guard.

    LiveKit's ``EventEmitter`` calls ``inspect.signature`` on every listener at every emit;
    a declared ``__signature__`` answers that at once (for a bound method or a closure it
    is worked out again on each event). One small slotted object per event, no closures.
    """

    __slots__ = ("_event", "_method", "_recorder")
    __signature__ = inspect.Signature(
        [inspect.Parameter("ev", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )

    def __init__(self, recorder: _Counts, event: str, method: Callable[[Any, Any], None]) -> None:
        self._recorder = recorder
        self._event = event
        self._method = method

    def __call__(self, ev: Any) -> None:
        try:
            self._method(self._recorder, ev)
        except Exception:
            self._recorder._count_error(self._event)


class TimedListener(Listener):
    """A listener that reports how long each call took (``observe_handler``, for benchmarks)."""

    __slots__ = ("_observe",)

    def __init__(
        self,
        recorder: _Counts,
        event: str,
        method: Callable[[Any, Any], None],
        observe: HandlerObserver,
    ) -> None:
        super().__init__(recorder, event, method)
        self._observe = observe

    def __call__(self, ev: Any) -> None:
        start = time.perf_counter()
        super().__call__(ev)
        self._observe(self._event, time.perf_counter() - start)


def describe_error(error: Any, source: Any) -> str:
    inner = getattr(error, "error", error)
    label = getattr(error, "type", None) or type(inner).__name__
    origin = f"{getattr(source, 'provider', '')}/{getattr(source, 'model', '')}" if source else ""
    head = f"{label} ({origin})" if origin.strip("/") else str(label)
    return f"{head}: {inner}"
