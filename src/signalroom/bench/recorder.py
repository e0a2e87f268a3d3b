"""Benchmarks of in-call collection, each on real ``AgentSession``s in text mode.

- :func:`bench_recorder_event`: cost of one recorder handler call as the session invokes it
  (user turn with signal detection, agent reply, tool calls, close), p50/p90/p99 in
  microseconds over several calls.
- :func:`bench_turn_overhead`: wall time a scripted turn gains when the recorder is attached,
  against the same calls without it, interleaved in the same run.
- :func:`bench_session_state_bytes`: memory the recorder retains for a 30-turn call with four
  tool calls, transcript off (``tracemalloc``: live allocations made under ``collect`` or
  ``signals`` code).

Figures are reported, never asserted: timing on a shared machine is noisy.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from signalroom.bench.stats import percentile
from signalroom.config import Settings, load_settings
from signalroom.record import SessionRecord

_FILLER = ["Okay.", "Sure, go on.", "Hmm, tell me more.", "Right.", "I see."]


def typical_turns(n_turns: int = 30) -> list[str]:
    """A call of ``n_turns`` caller turns with exactly four tool calls (two signals recorded,
    one knowledge search, one booking); the other turns carry no signal."""
    if n_turns < 4:
        raise ValueError("a typical call has at least 4 turns")
    head = ["Hi, we're a law firm with 12 people.", "How much does it cost?"]
    tail = ["Let's book a demo. My name is Jane Doe, email jane.doe@acme.com, tomorrow at 2pm."]
    fill = [_FILLER[i % len(_FILLER)] for i in range(n_turns - len(head) - len(tail))]
    return [*head, *fill, *tail]


def _settings(home: Path | None, **agent: Any) -> Settings:
    return load_settings(home or Path(tempfile.mkdtemp(prefix="signalroom-bench-")), agent=agent)


async def _call(
    turns: list[str], settings: Settings, *, attach: bool, observe: Any = None, live: Any = None
) -> tuple[float, Any]:
    """One call; returns (seconds spent in the turns, recorder or None). ``live(recorder)`` runs
    after the last turn, while the call is still up."""
    from livekit.agents import AgentSession

    from signalroom.agent import SalesAgent
    from signalroom.collect import SessionRecorder
    from signalroom.simulate.runner import _booking, _knowledge
    from signalroom.testing import ScriptedLLM

    agent = SalesAgent(
        knowledge=_knowledge(settings),
        booking=_booking(settings),
        settings=settings.agent,
        booking_settings=settings.booking,
    )
    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(), vad=None, turn_handling={"turn_detection": None}
    )
    recorder = (
        SessionRecorder(
            session,
            agent_name="bench",
            keep_transcript=settings.agent.keep_transcript,
            annotations=agent.annotations,
            observe_handler=observe,
        )
        if attach
        else None
    )
    await session.start(agent)
    await session.wait_for_idle()
    start = time.perf_counter()
    for text in turns:
        await session.run(user_input=text)
    elapsed = time.perf_counter() - start
    if live is not None:
        live(recorder)
    await session.aclose()
    return elapsed, recorder


def bench_recorder_event(
    n_turns: int = 30, calls: int = 5, *, home: Path | None = None
) -> dict[str, float]:
    """Handler time per session event over ``calls`` calls of ``n_turns`` turns, after one
    call that is not timed (imports, the knowledge index, first-use tables).

    One call has only ~75 events, so its p99 would be its slowest event, whatever the machine
    was doing then; five give ~370 samples. GC stays on: a collection a handler triggers is
    part of what the call path pays.
    """
    samples: list[float] = []
    settings = _settings(home)

    from signalroom.collect.detection import DEFERRED_DETECTION

    def handler_time(name: str, seconds: float) -> None:
        # the deferred detection pass is no event's handler (bench_turn_overhead counts it)
        if name != DEFERRED_DETECTION:
            samples.append(seconds)

    async def run() -> None:
        _, warm = await _call(typical_turns(n_turns), settings, attach=True)
        await warm.aclose()
        for _ in range(max(1, calls)):
            _, recorder = await _call(
                typical_turns(n_turns), settings, attach=True, observe=handler_time
            )
            await recorder.aclose()

    asyncio.run(run())
    return {
        "recorder_event_p99_us": percentile(samples, 99) * 1e6,
        "recorder_event_p90_us": percentile(samples, 90) * 1e6,
        "recorder_event_p50_us": percentile(samples, 50) * 1e6,
        "recorder_events": float(len(samples)),
    }


def bench_turn_overhead(
    n_turns: int = 30, repeats: int = 5, *, home: Path | None = None
) -> dict[str, float]:
    """Per-turn wall time with the recorder minus without, in µs: the median over ``repeats``
    pairs of runs, each pair back to back (which goes first alternates), so slow stretches of
    a shared machine hit both sides of a pair; ``baseline`` is the per-turn time without it.
    ``recorder_handler_us_per_turn`` is the same cost measured directly: the handlers and the
    deferred detection passes, summed over a call."""
    settings = _settings(home)
    turns = typical_turns(n_turns)
    differences: list[float] = []
    without: list[float] = []

    async def run() -> None:
        await _call(turns, settings, attach=False)  # warm-up: imports, knowledge index
        for i in range(repeats):
            per_turn: dict[bool, float] = {}
            for attach in (i % 2 == 0, i % 2 == 1):
                t, recorder = await _call(turns, settings, attach=attach)
                if recorder is not None:
                    await recorder.aclose()
                per_turn[attach] = t / len(turns)
            differences.append(per_turn[True] - per_turn[False])
            without.append(per_turn[False])

    asyncio.run(run())
    spent: list[float] = []

    async def handlers_only() -> None:
        _, recorder = await _call(turns, settings, attach=True,
                                  observe=lambda _n, sec: spent.append(sec))  # fmt: skip
        await recorder.aclose()

    asyncio.run(handlers_only())
    # a turn lasts milliseconds and the recorder costs tens of microseconds of it: the best
    # of each kind (the former estimate) swung by hundreds of µs between runs on a shared
    # machine; the median of paired differences does not move with one lucky or unlucky run
    return {
        "recorder_turn_overhead_us": statistics.median(differences) * 1e6,
        "baseline": statistics.median(without) * 1e6,
        "recorder_handler_us_per_turn": sum(spent) / len(turns) * 1e6,
    }


_OURS = ("signalroom/collect/", "signalroom/signals/")


def _our_bytes(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes of the traces with one of our frames anywhere in their traceback: what
    ``Filter(True, "*signalroom/collect/*", all_frames=True)`` (and the same for signals)
    keeps, decided once per file name instead of by fnmatch for every frame of every trace
    (that took 10 s of this benchmark)."""
    ours: dict[str, bool] = {}

    def mine(name: str) -> bool:
        hit = ours.get(name)
        if hit is None:
            hit = ours[name] = any(part in name.replace("\\", "/") for part in _OURS)
        return hit

    return sum(t.size for t in snapshot.traces if any(mine(f.filename) for f in t.traceback))


def bench_session_state_bytes(n_turns: int = 30, *, home: Path | None = None) -> dict[str, float]:
    settings = _settings(home, keep_transcript=False)
    measured: dict[str, float] = {}

    def measure(recorder: Any) -> None:
        # the live call's state: taken before the close builds and keeps the final record
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        measured["session_state_bytes"] = float(_our_bytes(snapshot))

    async def run() -> None:
        await _call(typical_turns(4), settings, attach=False)  # caches and imports first
        tracemalloc.start(16)  # deep enough to see our frames above LiveKit's
        try:
            _, recorder = await _call(typical_turns(n_turns), settings, attach=True, live=measure)
        finally:
            tracemalloc.stop()
        measured["tool_calls"] = float(len(recorder.record().tool_calls))
        await recorder.aclose()

    asyncio.run(run())
    return measured


def make_typical_record(n_turns: int = 30, *, home: Path | None = None) -> SessionRecord:
    """A finished record of a typical simulated call (call from sync code, not a running loop)."""
    from signalroom.simulate import run_call

    return asyncio.run(run_call(typical_turns(n_turns), settings=_settings(home)))
