"""Build a :class:`~signalroom.record.SessionRecord` from a frozen snapshot of recorder state.

The recorder copies its small state into a :class:`Snapshot` on the event loop (cheap: a few
tuples), and the pydantic record is built from it anywhere, including the checkpoint thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from signalroom.record import (
    ConversationNote,
    ConversationStage,
    DiscoveredSignals,
    SessionRecord,
    SignalEvidence,
    StageChange,
    TranscriptItem,
    TurnMetrics,
)

from .tool_calls import ToolRow, to_model
from .usage import UsageRow, summarize, to_models

#: Columns of one row in the recorder's per-reply latency array, in seconds (NaN: not measured).
TURN_COLUMNS = ("user_turn", "e2e", "llm_ttft", "tts_ttfb", "end_of_turn", "transcription")

TranscriptRow = tuple[str, str, float, int | None]


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    complete: bool
    session_id: str
    started_at: float
    ended_at: float | None
    agent_name: str | None
    room: str | None
    participant_identity: str | None
    close_reason: str | None
    errors: tuple[str, ...]
    collection_errors: int
    user_turns: int
    agent_turns: int
    signals: dict[str, Any]
    evidence: list[SignalEvidence]
    tools: tuple[ToolRow, ...]
    usage: tuple[UsageRow, ...]
    turns: tuple[float, ...]
    transcript: tuple[TranscriptRow, ...] | None
    stages: tuple[tuple[ConversationStage, float], ...]
    notes: tuple[tuple[str, float], ...]
    metadata: dict[str, str | int | float | bool | None]


def ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _ms(value: float) -> float | None:
    return None if math.isnan(value) or value < 0 else value * 1000.0


def _turn_metrics(flat: tuple[float, ...]) -> list[TurnMetrics]:
    width = len(TURN_COLUMNS)
    out = []
    for index in range(len(flat) // width):
        user_turn, e2e, ttft, ttfb, eot, transcription = flat[index * width : (index + 1) * width]
        out.append(
            TurnMetrics(
                turn_id="greeting" if user_turn < 0 else f"turn-{int(user_turn)}",
                index=index,
                e2e_latency_ms=_ms(e2e),
                llm_ttft_ms=_ms(ttft),
                tts_ttfb_ms=_ms(ttfb),
                end_of_turn_delay_ms=_ms(eot),
                transcription_delay_ms=_ms(transcription),
            )
        )
    return out


def build_record(s: Snapshot) -> SessionRecord:
    end = s.ended_at
    stage = s.stages[-1][0] if s.stages else None
    return SessionRecord(
        revision=s.revision,
        complete=s.complete,
        session_id=s.session_id,
        start_time=ts(s.started_at),
        end_time=ts(end) if end is not None else None,
        duration_seconds=max(0.0, end - s.started_at) if end is not None else None,
        discovered_signals=DiscoveredSignals.model_validate(s.signals),
        tool_calls=[to_model(row, ts(row.at)) for row in s.tools],
        metrics_summary=summarize(s.usage),
        agent_name=s.agent_name,
        room=s.room,
        participant_identity=s.participant_identity,
        close_reason=s.close_reason,
        errors=list(s.errors),
        collection_errors=s.collection_errors,
        user_turns=s.user_turns,
        agent_turns=s.agent_turns,
        conversation_state=stage,
        stage_history=[StageChange(stage=st, at=ts(at)) for st, at in s.stages],
        conversation_notes=[ConversationNote(text=t, at=ts(at)) for t, at in s.notes],
        signal_evidence=list(s.evidence),
        usage=to_models(s.usage),
        turns=_turn_metrics(s.turns),
        transcript=(
            [
                TranscriptItem(role=role, text=text, at=ts(at), turn_index=turn)
                for role, text, at, turn in s.transcript
            ]
            if s.transcript is not None
            else None
        ),
        metadata=dict(s.metadata),
    )
