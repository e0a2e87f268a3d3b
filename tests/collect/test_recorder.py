"""SessionRecorder on real AgentSessions in text mode: robustness, sinks, transforms, reuse."""

from __future__ import annotations

import logging

import pytest
from livekit.agents import AgentSession

from signalroom.collect import SessionRecorder, hash_identity
from signalroom.collect.examples.support_agent import (
    SupportAgent,
    run_support_call,
    support_model,
)
from signalroom.record import SessionRecord
from signalroom.signals import SignalState
from signalroom.testing import RecordCapture, ScriptedLLM
from tests.waiting import async_wait_for


def _session() -> AgentSession[None]:
    return AgentSession(
        llm=ScriptedLLM(decider=support_model, model="scripted-support-1"),
        vad=None,
        turn_handling={"turn_detection": None},
    )


async def test_support_agent_example_is_recorded() -> None:
    record = await run_support_call(
        ["Hi, where is my order?", "It's A100, we're a law firm with 12 people."]
    )
    assert [(c.tool, c.success, c.arguments) for c in record.tool_calls] == [
        ("lookup_order", True, {"order_id": "A100"})
    ]
    assert record.agent_name == "support" and record.room == "support-demo"
    assert record.discovered_signals.team_size == 12
    assert record.usage[0].model == "scripted-support-1"
    assert record.metrics_summary.llm_tokens and record.metrics_summary.llm_tokens > 0
    assert record.conversation_state is None and record.stage_history == []
    assert record.close_reason == "user_initiated" and record.complete


async def test_a_failing_handler_never_reaches_the_agent(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: SignalState, text: str, **kwargs: object) -> None:
        raise RuntimeError("detector exploded")

    monkeypatch.setattr(SignalState, "merge_text", broken)
    session = _session()
    recorder = SessionRecorder(session, agent_name="support")
    await session.start(SupportAgent())
    with caplog.at_level(logging.ERROR, logger="signalroom.collect"):
        first = await session.run(user_input="Where is order A100?")
        await session.run(user_input="And B200?")
    # the agent still did its job: looked the order up and answered
    first.expect.contains_function_call(name="lookup_order")
    await session.aclose()
    record = await recorder.aclose()
    assert record.collection_errors == 2
    assert len(record.tool_calls) == 2
    assert (
        sum(
            "detector exploded" in r.getMessage() or "collection failed" in r.getMessage()
            for r in caplog.records
        )
        == 1
    )  # logged once


async def test_sink_errors_are_counted_not_raised() -> None:
    def sink(record: SessionRecord) -> None:
        raise OSError("disk full")

    session = _session()
    recorder = SessionRecorder(session, sink=sink)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    await session.aclose()
    await recorder.aclose()
    assert recorder.collection_errors == 1


async def test_checkpoints_are_built_off_the_loop_with_rising_revisions() -> None:
    capture = RecordCapture()
    session = _session()
    recorder = SessionRecorder(session, sink=capture, checkpoint_interval_s=0.02)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    await async_wait_for(lambda: len(capture.checkpoints) >= 2, "two checkpoints")
    await session.aclose()
    final = await recorder.aclose()
    revisions = [r.revision for r in capture.records]
    assert len(capture.checkpoints) >= 2 and not any(r.complete for r in capture.checkpoints)
    assert revisions == sorted(set(revisions)) and final.revision == revisions[-1]
    assert capture.final == final


async def test_transform_is_applied_and_a_failing_one_drops_text() -> None:
    def redact(record: SessionRecord) -> SessionRecord:
        return record.model_copy(update={"redaction": {"transcript": "redact"}})

    def broken(record: SessionRecord) -> SessionRecord:
        raise ValueError("bad policy")

    for transform, expect_text in ((redact, True), (broken, False)):
        session = _session()
        recorder = SessionRecorder(session, transform=transform)
        await session.start(SupportAgent())
        await session.run(user_input="Where is order A100?")
        await session.aclose()
        record = await recorder.aclose()
        assert (record.transcript is not None) is expect_text
        if expect_text:
            assert record.redaction == {"transcript": "redact"}
        else:
            assert record.collection_errors >= 1


async def test_record_before_start_and_revisions_rise() -> None:
    session = _session()
    recorder = SessionRecorder(session, participant_identity="+15551234567", hash_key=b"k")
    first = recorder.record(complete=False)
    second = recorder.record(complete=False)
    assert (first.revision, second.revision) == (1, 2)
    assert first.user_turns == 0 and first.tool_calls == [] and not first.complete
    assert first.metrics_summary.llm_tokens is None  # nothing measured is None, not 0
    assert first.participant_identity == hash_identity("+15551234567", b"k")
    recorder.detach()


def test_identity_hashing_is_keyed_when_a_key_is_given() -> None:
    plain, keyed = hash_identity("alice"), hash_identity("alice", b"secret")
    assert plain.startswith("sha256:") and keyed.startswith("hmac-sha256:")
    assert keyed != hash_identity("alice", b"other") and plain == hash_identity("alice")
    assert "alice" not in plain + keyed


async def test_checkpoint_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionRecorder(_session(), checkpoint_interval_s=0)


async def test_the_final_record_is_built_off_the_loop_after_close() -> None:
    import threading

    built_on: list[str] = []

    def note_thread(record: SessionRecord) -> SessionRecord:
        built_on.append(threading.current_thread().name)
        return record

    capture = RecordCapture()
    session = _session()
    recorder = SessionRecorder(session, sink=capture, transform=note_thread)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100? We're a law firm with 12 people.")
    await session.aclose()  # the close event only freezes the call and hands it over
    final = await recorder.aclose()
    assert built_on and all(name.startswith("signalroom-recorder") for name in built_on)
    assert capture.final is final and final.complete and final.revision == 1
    assert final.discovered_signals.team_size == 12
    assert recorder.finalize() is final  # later calls return the same record


async def test_reply_latencies_keep_only_the_columns_a_session_measures() -> None:
    session = _session()
    recorder = SessionRecorder(session, keep_transcript=False)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    await session.run(user_input="Thanks.")
    await session.aclose()
    record = await recorder.aclose()
    assert [t.turn_id for t in record.turns] == [f"turn-{i}" for i in range(len(record.turns))]
    assert record.agent_turns == len(record.turns) >= 2
    # a text session times the LLM only; speech columns stay "not measured"
    assert all(t.llm_ttft_ms is not None and t.llm_ttft_ms >= 0 for t in record.turns)
    assert all(t.tts_ttfb_ms is None and t.e2e_latency_ms is None for t in record.turns)
    assert record.transcript is None


@pytest.mark.slow  # tracemalloc over a whole 30-turn call: ~10 s on a busy 2-core machine
def test_a_typical_calls_retained_state_stays_under_8_kb() -> None:
    from signalroom.bench.recorder import bench_session_state_bytes

    figures = bench_session_state_bytes(30)
    assert figures["tool_calls"] == 4
    assert 0 < figures["session_state_bytes"] <= 8192, figures
