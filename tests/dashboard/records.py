"""Realistic session records for the dashboard tests, written through the real warehouse.

The seed example plus calls built with the record models: a transcript whose user turns carry
the words each signal was detected from, tool calls, per-reply latency and per-model usage.
They are analyzed by the real analyzer chain and applied by the real DuckDB/PostgreSQL writer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signalroom.analyzers import default_analyzers, run_analyzers
from signalroom.destinations import open_warehouse
from signalroom.destinations.base import AnalyzedSession
from signalroom.record import (
    DiscoveredSignals,
    ModelUsage,
    SessionRecord,
    SignalEvidence,
    ToolCall,
    TranscriptItem,
    TurnMetrics,
)

SEED = Path(__file__).resolve().parents[1] / "data" / "seed-example-record.json"


@dataclass(frozen=True)
class Persona:
    industry: str | None
    team_size: int | None
    volume: int | None
    urgency: str | None
    integrations: tuple[str, ...]
    book: bool
    complete: bool = True
    tone: str = "warm"


PERSONAS = (
    Persona("legal", 12, 400, "high", ("salesforce", "api"), True),
    Persona("healthcare", 40, 1500, "medium", ("epic",), True),
    Persona("finance", 25, 900, "high", ("salesforce",), False),
    Persona("real_estate", 6, 120, "low", ("dropbox",), False),
    Persona("insurance", 80, 3000, "high", ("api", "hubspot"), True),
    Persona("education", 3, 30, "low", (), False, tone="cold"),
    Persona("technology", 15, 600, "medium", ("slack", "api"), True),
    Persona("legal", 2, 20, None, (), False, complete=False, tone="cold"),
    Persona("construction", 18, 250, "medium", ("google drive",), False),
    Persona(None, None, None, None, (), False, tone="cold"),
)

AGENT_LINES = (
    "Hi, thanks for calling! What kind of documents does your team send for signature?",
    "Got it. How many people would be using it?",
    "And roughly how many documents do you send each month?",
    "Which tools would you want it to connect with?",
    "When are you hoping to have something in place?",
    "Thanks, that's really helpful.",
)


def build_record(i: int, persona: Persona, start: datetime) -> SessionRecord:
    """One call of ``persona`` starting at ``start``; ``i`` makes its ids unique."""
    user_lines: list[tuple[str, list[tuple[str, str | int | float, str]]]] = []
    if persona.industry:
        word = persona.industry.replace("_", " ")
        user_lines.append(
            (
                f"We're a {word} firm and we're drowning in paperwork.",
                [("industry", persona.industry, word)],
            )
        )
    if persona.team_size is not None:
        span = f"{persona.team_size} people"
        user_lines.append(
            (f"About {span} on the team would use it.", [("team_size", persona.team_size, span)])
        )
    if persona.volume is not None:
        span = f"{persona.volume} documents a month"
        user_lines.append(
            (f"Probably {span}, give or take.", [("monthly_volume", float(persona.volume), span)])
        )
    if persona.integrations:
        spans = [(name, name) for name in persona.integrations]
        text = "It has to work with " + " and ".join(n for n, _ in spans) + "."
        user_lines.append((text, [("integration_needs", n, s) for n, s in spans]))
    if persona.urgency:
        phrase = {
            "high": "as soon as possible, this week ideally",
            "medium": "sometime next quarter",
            "low": "no rush, just exploring",
        }
        span = phrase[persona.urgency]
        user_lines.append((f"We need it {span}.", [("urgency", persona.urgency, span)]))
    closing = (
        "This sounds great, thank you so much!"
        if persona.tone == "warm"
        else "I'm not sure this is worth it, honestly."
    )
    user_lines.append((closing, []))

    transcript: list[TranscriptItem] = []
    evidence: list[SignalEvidence] = []
    turns: list[TurnMetrics] = []
    clock = start
    transcript.append(TranscriptItem(role="assistant", text=AGENT_LINES[0], at=clock))
    turns.append(TurnMetrics(turn_id="greeting", index=0, e2e_latency_ms=None))
    tool_calls: list[ToolCall] = []
    for turn, (text, found) in enumerate(user_lines):
        clock += timedelta(seconds=14)
        transcript.append(TranscriptItem(role="user", text=text, at=clock, turn_index=turn))
        for field, value, span in found:
            evidence.append(
                SignalEvidence(
                    field=field,
                    value=value,
                    turn_index=turn,  # type: ignore[arg-type]
                    at=clock,
                    span=span,
                )
            )
        if turn == 1:
            clock += timedelta(seconds=2)
            tool_calls.append(
                ToolCall(
                    tool="search_knowledge",
                    timestamp=clock,
                    query="pricing for teams",
                    category="pricing",
                    results_found=True,
                    total_results=3,
                    duration_ms=41.0,
                )
            )
        clock += timedelta(seconds=3)
        latency = 650.0 + 90 * ((i * 7 + turn * 13) % 9)
        turns.append(
            TurnMetrics(
                turn_id=f"turn-{turn}",
                index=len(turns),
                e2e_latency_ms=latency,
                llm_ttft_ms=latency * 0.45,
                tts_ttfb_ms=latency * 0.25,
                end_of_turn_delay_ms=latency * 0.2,
            )
        )
        reply = AGENT_LINES[min(turn + 1, len(AGENT_LINES) - 1)]
        transcript.append(TranscriptItem(role="assistant", text=reply, at=clock, turn_index=turn))
    if persona.book:
        clock += timedelta(seconds=10)
        tool_calls.append(
            ToolCall(
                tool="book_sales_meeting",
                timestamp=clock,
                customer_name="Jordan Lee",
                customer_email="[redacted]",
                success=True,
                duration_ms=180.0,
            )
        )
    end = clock + timedelta(seconds=8)
    signals = DiscoveredSignals(
        team_size=persona.team_size,
        monthly_volume=float(persona.volume) if persona.volume is not None else None,
        integration_needs=list(persona.integrations),
        urgency=persona.urgency,  # type: ignore[arg-type]
        industry=persona.industry,  # type: ignore[arg-type]
    )
    n_user = len(user_lines)
    return SessionRecord(
        session_id=f"room_{i:04d}",
        start_time=start,
        end_time=end if persona.complete else None,
        duration_seconds=(end - start).total_seconds() if persona.complete else None,
        revision=3 if persona.complete else 1,
        complete=persona.complete,
        discovered_signals=signals,
        tool_calls=tool_calls,
        agent_name="signalroom-sales",
        close_reason="user_hangup" if persona.complete else None,
        user_turns=n_user,
        agent_turns=n_user + 1,
        signal_evidence=evidence,
        turns=turns,
        transcript=transcript,
        redaction={"transcript": "redact"},
        usage=[
            ModelUsage(
                kind="llm",
                provider="openai",
                model="gpt-4.1-mini",
                prompt_tokens=1800 + 400 * n_user,
                completion_tokens=90 * n_user,
            ),
            ModelUsage(
                kind="stt", provider="deepgram", model="nova-3", audio_seconds=12.0 * n_user
            ),
            ModelUsage(
                kind="tts", provider="cartesia", model="sonic-2", characters=70 * (n_user + 1)
            ),
        ],
    )


def demo_records(n: int = 40, *, now: datetime | None = None) -> list[SessionRecord]:
    """The seed example and ``n`` varied calls spread over the last two weeks."""
    now = now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    records = [SessionRecord.model_validate(json.loads(SEED.read_text()))]
    for i in range(n):
        start = now - timedelta(days=13 - (i * 13) // max(1, n - 1), hours=(i * 5) % 9 + 1)
        records.append(build_record(i, PERSONAS[(i * 3 + i // 10) % len(PERSONAS)], start))
    return records


def analyze(records: list[SessionRecord]) -> list[AnalyzedSession]:
    chain = default_analyzers()
    return [AnalyzedSession(r, run_analyzers(r, chain)) for r in records]


def write_warehouse(url: str, records: list[SessionRecord]) -> None:
    """Apply ``records`` through the real writer (migrations, facts, child tables)."""
    warehouse = open_warehouse(url)
    warehouse.apply_sync(analyze(records))
