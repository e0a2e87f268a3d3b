"""The timing model of simulated calls: when they happen, how long their parts take, and cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signalroom.analyzers.cost import CostAnalyzer
from signalroom.config import Settings, load_settings
from signalroom.record import SessionRecord, derive_record_id
from signalroom.simulate import generate_scenarios, run_call, run_calls
from signalroom.simulate.timing import TimingModel, business_hours_starts

NOW = datetime(2025, 1, 28, 10, 30, tzinfo=UTC)  # a Tuesday morning
START = datetime(2025, 1, 20, 14, 5, tzinfo=UTC)
TURNS = [
    "Hi, we're a law firm with 12 people.",
    "How much does it cost?",
    "We process about 300 documents a month.",
    "Let's book a demo. My name is Jane Doe, email jane.doe@acme.com, tomorrow at 2pm.",
    "That's all, thanks, bye.",
]


@pytest.fixture
def settings(home: Path) -> Settings:
    return load_settings(home)


def test_starts_fall_on_weekdays_in_business_hours_over_the_month() -> None:
    for tz in ("UTC", "America/New_York", "Asia/Tokyo"):
        starts = business_hours_starts(40, seed=7, now=NOW, tz=tz)
        assert starts == sorted(starts) and len(starts) == 40
        zone = ZoneInfo(tz)
        local = [s.astimezone(zone) for s in starts]
        today = NOW.astimezone(zone).date()
        for when in local:
            assert when.weekday() < 5, when
            assert 9 <= when.hour < 16, when  # the last call starts an hour before closing
            assert today - timedelta(days=30) <= when.date() < today
        days = {w.date() for w in local}
        assert (max(days) - min(days)).days > 7
        # a few a day, not one slab
        assert max(sum(1 for w in local if w.date() == d) for d in days) <= 8
    assert business_hours_starts(20, 7, now=NOW) == business_hours_starts(20, 7, now=NOW)
    assert business_hours_starts(20, 7, now=NOW) != business_hours_starts(20, 8, now=NOW)


async def test_a_text_call_gets_modelled_times_latencies_and_priced_usage(
    settings: Settings,
) -> None:
    raw = await run_call(TURNS, settings=settings, now=NOW, session_id="sim-t-1")
    assert raw.metadata["simulated"] is True and "timing" not in raw.metadata
    timed = TimingModel(START).apply(raw)

    assert timed.start_time == START
    assert timed.record_id == derive_record_id("sim-t-1", START) != raw.record_id
    assert timed.metadata == {**raw.metadata, "simulated": True, "timing": "model"}
    # spoken turns take tens of seconds, not the milliseconds a text call ran for
    assert timed.duration_seconds is not None and 20 < timed.duration_seconds < 600
    assert timed.end_time is not None
    elapsed = (timed.end_time - START).total_seconds()
    assert elapsed == pytest.approx(timed.duration_seconds, abs=1e-3)

    # every event keeps its order and lies inside the call
    assert timed.transcript is not None and timed.end_time is not None
    times = [t.at for t in timed.transcript if t.at is not None]
    assert times == sorted(times) and times[0] >= START and times[-1] <= timed.end_time
    for call in timed.tool_calls:
        assert START <= call.timestamp <= timed.end_time
    stages = [s.at for s in timed.stage_history]
    assert stages == sorted(stages)

    replies = [t for t in timed.turns if t.turn_id != "greeting"]
    assert [t.turn_id for t in replies] == [f"turn-{i}" for i in range(len(TURNS))]
    for turn in replies:
        parts = [turn.end_of_turn_delay_ms, turn.llm_ttft_ms, turn.tts_ttfb_ms]
        assert all(p is not None and p > 0 for p in parts)
        assert turn.e2e_latency_ms is not None
        assert turn.e2e_latency_ms >= sum(p for p in parts if p is not None) - 0.5
        assert turn.transcription_delay_ms is not None
        assert turn.transcription_delay_ms < (turn.end_of_turn_delay_ms or 0)

    models = {(u.kind, u.provider, u.model) for u in timed.usage}
    assert models == {
        ("llm", "openai", "gpt-4.1-mini"),
        ("stt", "deepgram", "nova-3"),
        ("tts", "cartesia", "sonic-2"),
    }
    llm = next(u for u in timed.usage if u.kind == "llm")
    assert llm.prompt_tokens == next(u for u in raw.usage if u.kind == "llm").prompt_tokens
    words = sum(len(t.split()) for t in TURNS)
    assert timed.metrics_summary.stt_audio_seconds == pytest.approx(words / 2.5, abs=0.01)
    assert raw.transcript is not None
    agent_chars = sum(len(t.text) for t in raw.transcript if t.role == "assistant")
    assert timed.metrics_summary.tts_characters == agent_chars
    cost = CostAnalyzer().analyze(timed)
    assert cost["unknown_models"] == [] and cost["total_usd"] > 0
    assert CostAnalyzer().analyze(raw)["total_usd"] == 0  # the scripted models cost nothing

    # the same call always gets the same figures
    assert TimingModel(START).apply(raw) == timed


async def test_a_checkpoint_agrees_with_the_final_record(settings: Settings) -> None:
    raw = await run_call(TURNS, settings=settings, now=NOW, session_id="sim-t-2")
    assert raw.transcript is not None
    third = [t for t in raw.transcript if t.role == "user"][2]
    assert third.at is not None
    cut = third.at
    data = raw.model_dump(mode="python")
    data.update(
        complete=False,
        revision=1,
        end_time=None,
        duration_seconds=None,
        transcript=[t for t in data["transcript"] if t["at"] <= cut],
        tool_calls=[c for c in data["tool_calls"] if c["timestamp"] <= cut],
        turns=[t for t in data["turns"] if t["turn_id"] in ("greeting", "turn-0", "turn-1")],
    )
    checkpoint = SessionRecord.model_validate(data)
    model = TimingModel(START)
    early, final = model.apply(checkpoint), model.apply(raw)

    assert early.record_id == final.record_id and early.start_time == final.start_time
    assert early.turns == final.turns[:3]
    assert early.transcript is not None and final.transcript is not None
    # every item up to the caller's third turn happened at the same modelled time
    assert [t.at for t in early.transcript] == [t.at for t in final.transcript][
        : len(early.transcript)
    ]


async def test_a_call_without_transcript_still_takes_time(home: Path) -> None:
    settings = load_settings(home, agent={"keep_transcript": False})
    raw = await run_call(TURNS[:3], settings=settings, now=NOW, session_id="sim-t-4")
    assert raw.transcript is None
    timed = TimingModel(START).apply(raw)
    assert timed.duration_seconds is not None and timed.duration_seconds > 10
    assert timed.end_time is not None
    assert all(START <= c.timestamp <= timed.end_time for c in timed.tool_calls)
    replies = [t for t in timed.turns if t.turn_id != "greeting"]
    assert replies and all(t.e2e_latency_ms for t in replies)
    assert CostAnalyzer().analyze(timed)["total_usd"] > 0


async def test_measured_mode_only_moves_the_call_and_names_the_models(
    settings: Settings,
) -> None:
    raw = await run_call(TURNS[:2], settings=settings, now=NOW, session_id="sim-t-3")
    timed = TimingModel(START, llm="inference/openai/gpt-4.1", measured=True).apply(raw)
    shift = START - raw.start_time
    assert timed.metadata["timing"] == "measured"
    assert timed.turns == raw.turns
    assert timed.duration_seconds == pytest.approx(raw.duration_seconds, abs=1e-3)
    assert [c.timestamp for c in timed.tool_calls] == [c.timestamp + shift for c in raw.tool_calls]
    assert [(u.kind, u.provider, u.model) for u in timed.usage] == [("llm", "openai", "gpt-4.1")]


async def test_run_calls_with_start_times_marks_every_call(settings: Settings) -> None:
    scenarios = generate_scenarios(3, seed=5)
    starts = business_hours_starts(3, seed=5, now=NOW)
    records = await run_calls(scenarios, settings=settings, starts=starts)
    assert [r.start_time for r in records] == starts
    for record in records:
        assert record.metadata["simulated"] is True and record.metadata["timing"] == "model"
        assert CostAnalyzer().analyze(record)["total_usd"] > 0
    with pytest.raises(ValueError, match="start times"):
        await run_calls(scenarios, settings=settings, starts=starts[:1])
