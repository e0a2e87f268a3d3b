"""Build a :class:`~signalroom.record.SessionRecord` from a frozen snapshot of recorder state.

The recorder copies its small state into a :class:`Snapshot` on the event loop (cheap: a few
tuples, the raw tool calls as LiveKit gave them), and everything else happens here, anywhere,
usually on the recorder's worker thread: tool arguments and outputs are parsed, evidence and
every pydantic model are built.
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
    StageChange,
    TranscriptItem,
    TurnMetrics,
)
from signalroom.signals.state import EvidenceRow, evidence_models

from .tool_calls import RawCall, row_of, to_model
from .usage import UsageRow, summarize, to_models

#: Latency columns the recorder keeps per agent reply, in seconds (NaN: not measured).
LATENCY_COLUMNS = ("e2e", "llm_ttft", "tts_ttfb", "end_of_turn", "transcription")

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
    evidence: list[EvidenceRow]
    tools: tuple[RawCall, ...]
    usage: tuple[UsageRow, ...]
    #: the user turn each agent reply answers (-1: the greeting), and per latency column
    #: the reply latencies (None: a column no reply has measured)
    reply_turns: tuple[int, ...]
    latencies: tuple[tuple[float, ...] | None, ...]
    transcript: tuple[TranscriptRow, ...] | None
    stages: tuple[tuple[ConversationStage, float], ...]
    notes: tuple[tuple[str, float], ...]
    metadata: dict[str, str | int | float | bool | None]


def ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _ms(value: float) -> float | None:
    return None if math.isnan(value) or value < 0 else value * 1000.0


def _turn_metrics(
    reply_turns: tuple[int, ...], latencies: tuple[tuple[float, ...] | None, ...]
) -> list[TurnMetrics]:
    missing = (math.nan,) * len(reply_turns)
    e2e, ttft, ttfb, eot, transcription = (c if c is not None else missing for c in latencies)
    return [
        TurnMetrics(
            turn_id="greeting" if user_turn < 0 else f"turn-{user_turn}",
            index=index,
            e2e_latency_ms=_ms(e2e[index]),
            llm_ttft_ms=_ms(ttft[index]),
            tts_ttfb_ms=_ms(ttfb[index]),
            end_of_turn_delay_ms=_ms(eot[index]),
            transcription_delay_ms=_ms(transcription[index]),
        )
        for index, user_turn in enumerate(reply_turns)
    ]


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
        tool_calls=[to_model(row, ts(row.at)) for row in map(row_of, s.tools)],
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
        signal_evidence=evidence_models(s.evidence),
        usage=to_models(s.usage),
        turns=_turn_metrics(s.reply_turns, s.latencies),
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
