"""Signal detection off the session's event callbacks, in call order.

A user turn's detection costs tens of microseconds (more when LiveKit's work between turns has
evicted the detector's tables from the CPU caches). :class:`SignalQueue` takes the recorder's
two signal inputs (detected text, the ``record_signal`` tool) as the calls ``SignalState`` has,
appends them to a bounded queue and returns, so the session's event callback stays a few
microseconds; the queued inputs are applied in order by a callback of their own that the event
loop runs next (``call_soon``), between LiveKit's callbacks. Results are identical to running
them inline: same calls, same order, same state.

Why the loop and not a worker thread: detection is pure Python, so a thread holds the GIL while
it runs and every hand-over costs the loop an OS scheduling delay. Measured on a busy 2-core
machine, a detector thread made the recorder's per-event p99 9.4 ms (handlers waiting for the
GIL) against 39 µs for this deferral (docs/benchmarks.md).

Reading the state (:meth:`SignalQueue.read`, when a record is built, on any thread) first
applies whatever is still queued, under a lock, so a record always holds every signal of every
turn before it: the final record built at close includes the last turn's signals. Past
``MAX_QUEUED`` waiting inputs the caller applies them itself: nothing is dropped and memory
stays bounded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from signalroom.signals import SignalState
from signalroom.signals.state import EvidenceRow

from .tool_calls import parse_arguments

#: Inputs a call may have queued before the caller applies them itself.
MAX_QUEUED = 64

_TEXT = 0
_TOOL = 1
_CALL = 2
#: The name an observer is given for a deferred detection pass (it is no session event).
DEFERRED_DETECTION = "signals"


class SignalQueue:
    """A call's ``SignalState``, fed from the session's events and applied just after them."""

    __slots__ = ("_lock", "_observe", "_on_error", "_ops", "_scheduled", "_state")

    def __init__(
        self,
        on_error: Callable[[str], None],
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self._state = SignalState()
        self._ops: deque[tuple[Any, ...]] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._on_error = on_error
        #: told how long each deferred pass took, as ``DEFERRED_DETECTION`` (benchmarks: the pass
        #: runs on the loop like a handler, so it is part of a turn's cost)
        self._observe = observe

    # -- the call path: append and return ------------------------------------------------------
    def merge_text(self, text: str, *, at: datetime | float, turn_index: int) -> None:
        self._push((_TEXT, text, at, turn_index))

    def apply(
        self, field: str, value: Any, *, source: str, at: datetime | float, turn_index: int | None
    ) -> None:
        self._push((_TOOL, field, value, source, at, turn_index))

    def defer(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(state, *args)`` in order with the other inputs (work such as parsing a
        tool's JSON that need not happen inside the event's callback)."""
        self._push((_CALL, fn, args))

    def _push(self, op: tuple[Any, ...]) -> None:
        self._ops.append(op)
        if len(self._ops) > MAX_QUEUED:
            self.drain()  # far behind: apply here rather than grow or drop
        elif not self._scheduled:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # called outside a loop: nothing to defer to
                self.drain()
                return
            self._scheduled = True
            loop.call_soon(self._drain_scheduled)

    # -- any thread ---------------------------------------------------------------------------
    def read(self) -> tuple[dict[str, Any], list[EvidenceRow]]:
        """The merged signals and their evidence, after every input made so far."""
        with self._lock:
            self._apply_queued()
            return self._state.snapshot(), self._state.evidence_rows()

    def drain(self) -> None:
        with self._lock:
            self._apply_queued()

    def _apply_queued(self) -> None:
        ops, state = self._ops, self._state
        while ops:
            op = ops.popleft()
            try:
                kind = op[0]
                if kind == _TEXT:
                    state.merge_text(op[1], at=op[2], turn_index=op[3])
                elif kind == _TOOL:
                    state.apply(op[1], op[2], source=op[3], at=op[4], turn_index=op[5])
                else:
                    op[1](state, *op[2])
            except Exception:
                self._on_error("signals")

    def _drain_scheduled(self) -> None:
        # cleared first: an input pushed from now on schedules another pass
        self._scheduled = False
        if self._observe is None:
            self.drain()
            return
        start = time.perf_counter()
        self.drain()
        self._observe(DEFERRED_DETECTION, time.perf_counter() - start)


def apply_signal_tool(
    state: SignalState, arguments: str, output: str, at: float, turn: int | None
) -> None:
    """Merge a ``record_signal`` tool call: the tool's own normalized value when it reports
    one, else the raw argument."""
    args = parse_arguments(arguments)
    if "field" not in args:
        return
    result = parse_arguments(output)
    state.apply(
        str(args["field"]),
        result.get("value", args.get("value")),
        source="tool",
        at=at,
        turn_index=turn,
    )
