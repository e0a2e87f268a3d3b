"""What an agent knows about its own call that no session event carries: stage and notes.

An agent owns a :class:`CallAnnotations` and writes to it as the call moves on; the
:class:`~signalroom.collect.recorder.SessionRecorder` reads it when it builds a record. The agent
never depends on a recorder being there, and a recorder attached to an agent without
annotations simply leaves ``conversation_state``, ``stage_history`` and ``conversation_notes``
empty.
"""

from __future__ import annotations

import time
from typing import get_args

from signalroom.record import ConversationStage

STAGES: tuple[ConversationStage, ...] = get_args(ConversationStage)
_MAX_ENTRIES = 200  # the record keeps at most this many stage changes and notes
_MAX_NOTE = 2_000


class CallAnnotations:
    """Stage history and notes, as compact ``(value, unix_time)`` tuples."""

    __slots__ = ("_notes", "_stages")

    def __init__(self) -> None:
        self._stages: list[tuple[ConversationStage, float]] = []
        self._notes: list[tuple[str, float]] = []

    @property
    def stage(self) -> ConversationStage | None:
        return self._stages[-1][0] if self._stages else None

    def set_stage(self, stage: ConversationStage, *, at: float | None = None) -> bool:
        """Move to ``stage``; returns False when the call is already there."""
        if stage not in STAGES:
            raise ValueError(f"unknown conversation stage {stage!r}; expected one of {STAGES}")
        if self.stage == stage or len(self._stages) >= _MAX_ENTRIES:
            return False
        self._stages.append((stage, time.time() if at is None else at))
        return True

    def advance_to(self, stage: ConversationStage, *, at: float | None = None) -> bool:
        """Move forward to ``stage`` only; a call never goes back to an earlier stage."""
        current = self.stage
        if current is not None and STAGES.index(stage) <= STAGES.index(current):
            return False
        return self.set_stage(stage, at=at)

    def add_note(self, text: str, *, at: float | None = None) -> None:
        text = text.strip()
        if not text:
            raise ValueError("a note needs some text")
        if len(self._notes) < _MAX_ENTRIES:
            self._notes.append((text[:_MAX_NOTE], time.time() if at is None else at))

    @property
    def stage_history(self) -> tuple[tuple[ConversationStage, float], ...]:
        return tuple(self._stages)

    @property
    def notes(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._notes)
