"""Scripted calls through the real LiveKit AgentSession, with the recorder attached."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from signalroom.config import Settings, load_settings
from signalroom.simulate import generate_scenarios, run_call, run_calls
from signalroom.testing import RecordCapture

NOW = datetime(2025, 1, 28, 10, 30, tzinfo=UTC)  # a Tuesday morning

BOOKED = [
    "Hi, we're a law firm with 12 people.",
    "How much does it cost?",
    "We need it to work with Salesforce and we need it ASAP.",
    "Let's book a demo. My name is Jane Doe, email jane@acme, tomorrow at 2pm.",
    "Sorry, the full address is jane.doe@acme.com.",
    "That's all, thanks, bye.",
]


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(home)


async def test_booked_call_produces_the_full_record(settings: Settings) -> None:
    capture = RecordCapture()
    record = await run_call(BOOKED, settings=settings, sink=capture, now=NOW)

    tools = [(c.tool, c.success) for c in record.tool_calls if c.tool != "record_signal"]
    assert tools == [
        ("search_knowledge", None),
        ("book_sales_meeting", False),
        ("book_sales_meeting", True),
    ]
    search, refused, booked = [c for c in record.tool_calls if c.tool != "record_signal"]
    assert search.query == "How much does it cost?"
    assert search.results_found is True and (search.total_results or 0) >= 1
    # the address of a refused booking is not kept, even under booking_email = "keep"
    assert refused.customer_email == "[EMAIL]" and refused.error
    assert booked.customer_name == "Jane Doe" and booked.customer_email == "jane.doe@acme.com"
    assert all(c.duration_ms is not None and c.duration_ms >= 0 for c in record.tool_calls)

    # the refusal is spoken to the caller as the tool gave it
    assert record.transcript is not None
    said = [t.text for t in record.transcript if t.role == "assistant"]
    assert refused.error in said

    assert [s.stage for s in record.stage_history] == [
        "greeting",
        "discovery",
        "qualification",
        "solution",
        "booking",
        "wrap_up",
    ]
    assert record.conversation_state == "wrap_up"

    signals = record.discovered_signals
    assert signals.team_size == 12 and signals.industry == "legal"
    assert "salesforce" in signals.integration_needs and signals.urgency == "high"
    sources = {(e.field, e.source) for e in record.signal_evidence}
    assert ("team_size", "pattern") in sources and ("team_size", "tool") in sources

    summary = record.metrics_summary
    assert summary.llm_tokens and summary.llm_tokens > 0
    assert summary.llm_tokens == (summary.llm_prompt_tokens or 0) + (
        summary.llm_completion_tokens or 0
    )
    assert summary.stt_audio_seconds is None and summary.tts_characters is None
    assert [(u.kind, u.provider, u.model) for u in record.usage] == [
        ("llm", "scripted", "scripted-sales-1")
    ]
    assert any(t.llm_ttft_ms is not None for t in record.turns)
    assert all(t.e2e_latency_ms is None for t in record.turns)  # text mode has no speech

    assert record.user_turns == len(BOOKED) and record.agent_turns and record.agent_turns > 6
    assert record.complete and record.close_reason == "user_initiated"
    # the privacy policy hashes the caller identity with the deployment's key
    assert record.participant_identity and record.participant_identity.startswith("h:")
    assert record.redaction is not None and record.redaction["participant_identity"] == "hash"
    assert capture.final is not None and capture.final.record_id == record.record_id


async def test_checkpoints_reach_the_sink_with_rising_revisions(home: Path) -> None:
    settings = load_settings(home, agent={"checkpoint_interval_s": 0.05})
    capture = RecordCapture()
    record = await run_call(BOOKED[:3], settings=settings, sink=capture, pace_s=0.12, now=NOW)

    checkpoints = capture.checkpoints
    assert len(checkpoints) >= 2
    assert all(not c.complete and c.end_time is None for c in checkpoints)
    revisions = [r.revision for r in capture.records]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    assert capture.records[-1] == record and record.revision == max(revisions)
    assert {c.record_id for c in capture.records} == {record.record_id}


async def test_abandoned_call_records_the_hang_up(settings: Settings) -> None:
    record = await run_call(BOOKED[:2], settings=settings, abandon=True, now=NOW)
    assert record.close_reason == "participant_disconnected"
    assert not any(c.tool == "book_sales_meeting" for c in record.tool_calls)
    assert record.conversation_state == "solution"


async def test_call_without_transcript_keeps_no_text(home: Path) -> None:
    settings = load_settings(home, agent={"keep_transcript": False})
    record = await run_call(BOOKED[:1], settings=settings, now=NOW)
    assert record.transcript is None
    assert record.discovered_signals.team_size == 12


async def test_audio_pipeline_measures_speech(settings: Settings) -> None:
    record = await run_call(BOOKED[:3], settings=settings, audio=True, now=NOW)

    summary = record.metrics_summary
    assert summary.stt_audio_seconds is not None and summary.stt_audio_seconds > 0
    assert summary.tts_characters is not None and summary.tts_characters > 0
    assert summary.llm_tokens and summary.llm_tokens > 0
    replies = [t for t in record.turns if t.turn_id != "greeting"]
    assert len(replies) >= 3
    for turn in replies:
        assert turn.e2e_latency_ms is not None and turn.e2e_latency_ms > 0
        assert turn.llm_ttft_ms is not None
        assert turn.tts_ttfb_ms is not None
        assert turn.end_of_turn_delay_ms is not None
    assert {u.kind for u in record.usage} == {"llm", "stt", "tts"}
    assert record.metadata["mode"] == "audio"


async def test_run_calls_runs_every_scenario(settings: Settings) -> None:
    scenarios = generate_scenarios(5, seed=3)
    done: list[str] = []
    records = await run_calls(
        scenarios, settings=settings, on_done=lambda r: done.append(r.session_id), now=NOW
    )
    assert done == [s.session_id for s in scenarios]
    for scenario, record in zip(scenarios, records, strict=True):
        assert record.user_turns == len(scenario.turns)
        booked = any(c.tool == "book_sales_meeting" and c.success for c in record.tool_calls)
        assert booked == (scenario.kind in ("booked", "bad_email")), scenario.turns
        if scenario.kind == "bad_email":
            assert any(c.success is False for c in record.tool_calls)
        if scenario.abandoned:
            assert record.close_reason == "participant_disconnected"


async def test_a_call_needs_turns(settings: Settings) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await run_call([], settings=settings)
