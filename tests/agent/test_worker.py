"""The LiveKit worker's own path: ``prewarm``, ``entrypoint`` and ``on_session_end`` run under
``livekit.agents.testing.fake_job_context`` (on the mock room LiveKit gives console jobs), with
the LLM served by a local OpenAI-compatible server. The call must reach the warehouse."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from livekit.agents.ipc.mock_room import create_mock_room
from livekit.agents.testing import fake_job_context

import signalroom
from signalroom.config import load_settings

from .openai_stub import OpenAIStub

TURNS = (
    "Hi, we're a law firm with 40 people.",
    "How do templates work?",
    "Please book a meeting, I'm Jane Roe, jane.roe@example.com",
)
TURN_DEADLINE_S = 60.0


def text_agent_home(home: Path, llm_url: str) -> Path:
    """A deployment whose agent answers the room's chat (no STT/TTS) on the given endpoint."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "signalroom.toml").write_text(
        "[agent]\n"
        'llm = "openai/any-model"\n'
        f'llm_base_url = "{llm_url}"\n'
        'stt = "none"\n'
        'tts = "none"\n'
    )
    return home


async def run_worker_call(
    job_id: str, watch: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
) -> dict[str, Any]:
    """One call through the worker's functions, as LiveKit runs a job; the warehouse's record.

    ``watch`` surrounds the call itself (from the entrypoint to ``on_session_end``): the part
    that runs on the job's event loop.
    """
    from signalroom.agent import worker
    from signalroom.service.runner import run_service

    with fake_job_context(room=create_mock_room(), job_id=job_id) as ctx:
        worker.prewarm(ctx.proc)  # LiveKit runs it before the process takes any job
        try:
            with watch():
                await worker.entrypoint(ctx)
                call = worker.calls[ctx.job.id]
                for turn in TURNS:
                    await asyncio.wait_for(call.session.run(user_input=turn), TURN_DEADLINE_S)
                # the job ends: LiveKit closes the session, then calls on_session_end
                await call.session.aclose()
                await worker.on_session_end(ctx)
            assert job_id not in worker.calls
        finally:
            assert ctx.proc.userdata["forwarder"].stop(timeout=10.0)
    settings = load_settings()
    await run_service(settings, until_idle=True)
    con = duckdb.connect(str(settings.home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT complete, record FROM sessions").fetchall()
    finally:
        con.close()
    [(complete, record)] = rows
    assert complete
    return json.loads(record)


def assert_a_qualified_booked_call(record: dict[str, Any], llm_host: str) -> None:
    assert record["complete"] and record["metadata"]["mode"] == "livekit"
    assert record["participant_identity"]  # the mock room's caller, hashed by the privacy policy
    assert record["discovered_signals"]["team_size"] == 40
    assert record["discovered_signals"]["industry"] == "legal"
    tools = {call["tool"]: call for call in record["tool_calls"]}
    assert tools["search_knowledge"]["results_found"] is True
    assert tools["book_sales_meeting"]["success"] is True
    [usage] = [u for u in record["usage"] if u["kind"] == "llm"]
    assert (usage["provider"], usage["model"]) == (llm_host, "any-model")
    totals = record["metrics_summary"]
    assert totals["llm_tokens"] > 0


@pytest.mark.slow
async def test_a_worker_call_reaches_the_warehouse(
    tmp_path: Path, openai_stub: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNALROOM_HOME", str(text_agent_home(tmp_path / "H", openai_stub.url)))
    record = await run_worker_call("job-worker-call")
    assert_a_qualified_booked_call(record, openai_stub.url.split("//")[1].split("/")[0])


async def test_prewarm_loads_the_vad_and_the_knowledge_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from livekit.plugins import silero

    from signalroom.agent import worker
    from signalroom.knowledge import LocalKnowledgeBase

    monkeypatch.setenv("SIGNALROOM_HOME", str(tmp_path))  # the default voice configuration
    for key in ("OPENAI_API_KEY", "DEEPGRAM_API_KEY", "CARTESIA_API_KEY"):
        monkeypatch.setenv(key, "key-never-sent")  # the clients are built, never called
    with fake_job_context(job_id="job-prewarm") as ctx:
        worker.prewarm(ctx.proc)
        try:
            parts = ctx.proc.userdata["parts"]
            assert isinstance(parts.models["vad"], silero.VAD)
            assert {"stt", "llm", "tts"} <= {k for k, v in parts.models.items() if v is not None}
            assert isinstance(parts.knowledge, LocalKnowledgeBase) and parts.knowledge.size > 0
        finally:
            assert ctx.proc.userdata["forwarder"].stop()


@pytest.fixture
def stub_process() -> Iterator[str]:
    """The stand-in server in its own process, so its work never holds this loop's GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.agent.openai_stub"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Blocks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("event loop blocked"):
            self.reports.append(record)


@pytest.mark.slow
async def test_no_signalroom_code_blocks_the_loop_during_a_call(
    tmp_path: Path, stub_process: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LiveKit's loop monitor at its finest threshold (20 ms) watches a whole worker call."""
    from livekit.agents.telemetry import loop_monitor

    monkeypatch.setenv("SIGNALROOM_HOME", str(text_agent_home(tmp_path / "H", stub_process)))
    blocks = _Blocks()
    loop = asyncio.get_running_loop()

    @contextlib.contextmanager
    def monitored() -> Iterator[object]:
        livekit_log = logging.getLogger("livekit.agents")
        livekit_log.addHandler(blocks)
        thresholds = loop_monitor.LoopMonitorThresholds(warn=0.02, error=0.5)
        monitor = loop_monitor.start_monitoring(loop, thresholds=thresholds, emit_spans=False)
        assert monitor is not None
        try:
            yield monitor
        finally:
            loop_monitor.stop_monitoring(loop)
            livekit_log.removeHandler(blocks)

    record = await run_worker_call("job-loop-monitor", monitored)
    assert_a_qualified_booked_call(record, stub_process.split("//")[1].split("/", maxsplit=1)[0])
    ours = [r for r in blocks.reports if blocked_in_signalroom(str(getattr(r, "stack", "")))]
    assert not ours, "\n\n".join(f"{r.getMessage()}\n{getattr(r, 'stack', '')}" for r in ours)


_FRAME = re.compile(r'File "([^"]+)", line \d+')
_STDLIB = sysconfig.get_paths()["stdlib"]
_PACKAGE = str(Path(signalroom.__file__).parent) + "/"


def blocked_in_signalroom(stack: str) -> bool:
    """Whether the innermost frame outside the standard library is signalroom's.

    Our code calling ``json.dumps`` on something huge is ours; LiveKit's own work under our
    ``llm_node`` wrapper (an outer frame of every model call) is LiveKit's.
    """
    for path in reversed(_FRAME.findall(stack)):
        if path.startswith(("<", _STDLIB)):
            continue
        return path.startswith(_PACKAGE)
    return False


def test_the_blocked_frame_is_read_from_the_innermost_non_stdlib_frame() -> None:
    ours = f'File "{_PACKAGE}agent/call.py", line 3, in prepare'
    json = 'File "' + _STDLIB + '/json/encoder.py", line 9, in encode'
    theirs = 'File "/v/site-packages/livekit/agents/voice/agent.py", line 592, in llm_node'
    assert blocked_in_signalroom(f"{ours}\n{json}")
    assert not blocked_in_signalroom(f"{ours}\n{theirs}\n{json}")
    assert not blocked_in_signalroom("# no sample: the block ended before the watchdog looked")
