"""The final record reaches the sink exactly once, and nothing built later outranks it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from livekit.agents import AgentSession

from signalroom.collect import SessionRecorder
from signalroom.collect import recorder as recorder_module
from signalroom.collect.examples.support_agent import SupportAgent, support_model
from signalroom.record import SessionRecord
from signalroom.testing import RecordCapture, ScriptedLLM


def _session() -> AgentSession[None]:
    return AgentSession(
        llm=ScriptedLLM(decider=support_model, model="scripted-support-1"),
        vad=None,
        turn_handling={"turn_detection": None},
    )


def _fail_once_on_worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first record built on the recorder's worker thread raises (a transient fault)."""
    real = recorder_module.build_record
    failed: list[str] = []

    def flaky(snap: Any) -> SessionRecord:
        on_worker = threading.current_thread().name.startswith("signalroom-recorder")
        if on_worker and not failed:
            failed.append(threading.current_thread().name)
            raise RuntimeError("transient build failure")
        return real(snap)

    monkeypatch.setattr(recorder_module, "build_record", flaky)
    return failed


async def test_a_final_rebuilt_after_a_worker_failure_reaches_the_sink_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed = _fail_once_on_worker(monkeypatch)
    capture = RecordCapture()
    session = _session()
    recorder = SessionRecorder(session, sink=capture)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100? We're a law firm with 12 people.")
    await session.aclose()  # the close event: the final is built on the worker, and fails
    final = await recorder.aclose()
    assert failed, "the fault was not injected on the worker thread"
    assert final.complete and final.discovered_signals.team_size == 12
    assert [r for r in capture.records if r.complete] == [final]
    assert recorder.collection_errors == 1  # the failed build was counted
    assert recorder.finalize() is final
    assert [r for r in capture.records if r.complete] == [final]  # still exactly once


async def test_finalize_without_aclose_still_delivers_the_rebuilt_final(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fail_once_on_worker(monkeypatch)
    delivered = threading.Event()
    records: list[SessionRecord] = []

    def sink(record: SessionRecord) -> None:
        records.append(record)
        delivered.set()

    session = _session()
    recorder = SessionRecorder(session, sink=sink)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    await session.aclose()
    final = recorder.finalize()  # the worker's build failed: rebuilt here, handed to the sink
    assert delivered.wait(timeout=30), "the rebuilt final record never reached the sink"
    recorder.detach()
    assert records == [final]


async def test_record_after_close_never_outranks_the_final() -> None:
    capture = RecordCapture()
    session = _session()
    recorder = SessionRecorder(session, sink=capture)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    await session.aclose()
    late = recorder.record()  # after the close event, before the final was read
    final = await recorder.aclose()
    again = recorder.record("another_reason", complete=False)
    assert late.revision <= final.revision and again.revision <= final.revision
    assert late == final and again == final
    assert max(r.revision for r in capture.records) == final.revision


async def test_record_after_finalize_without_close_event_never_outranks_the_final() -> None:
    session = _session()
    recorder = SessionRecorder(session)
    await session.start(SupportAgent())
    await session.run(user_input="Where is order A100?")
    final = recorder.finalize("job_shutdown")  # an abandoned call: no close event yet
    later = recorder.record()
    assert later.revision == final.revision and later == final
    recorder.detach()
    await session.aclose()
