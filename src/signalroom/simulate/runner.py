"""Run scripted calls through a real ``livekit.agents.AgentSession``, offline.

Each call is a real session with :class:`~signalroom.agent.SalesAgent`, the
:class:`~signalroom.testing.ScriptedLLM` and a :class:`~signalroom.collect.SessionRecorder`
attached. Text mode (default) needs no audio, no LiveKit server and no keys. Audio mode
(``audio=True``) runs the speech pipeline with scripted STT and TTS over synthetic audio, so
LiveKit itself measures speech usage and latencies (see :mod:`signalroom.simulate.audio`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from signalroom.collect import SessionRecorder, Sink
from signalroom.config import Settings
from signalroom.record import SessionRecord

from .scenarios import Scenario

if TYPE_CHECKING:
    from livekit.agents import AgentSession

    from .timing import TimingModel

logger = logging.getLogger("signalroom.simulate")

#: Upper bound for one scripted turn; a turn that takes longer fails the call, never hangs it.
TURN_TIMEOUT_S = 30.0
ABANDONED = "participant_disconnected"

_resources: dict[str, Any] = {}


def _knowledge(settings: Settings) -> Any:
    from signalroom.knowledge import build_knowledge_base

    key = "kb:" + settings.knowledge.model_dump_json()
    if key not in _resources:  # the index is built once per process, like a worker's prewarm
        _resources[key] = build_knowledge_base(settings.knowledge)
    return _resources[key]


def _booking(settings: Settings) -> Any:
    from signalroom.booking import build_booking_backend

    return build_booking_backend(settings.booking, settings.home)


def _clock(now: datetime | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(UTC)
    base, started = now, time.monotonic()
    return lambda: base + timedelta(seconds=time.monotonic() - started)


async def run_call(
    turns: list[str],
    *,
    settings: Settings,
    session_id: str | None = None,
    sink: Sink | None = None,
    audio: bool = False,
    pace_s: float = 0.0,
    now: datetime | None = None,
    abandon: bool = False,
    participant_identity: str | None = None,
    metadata: dict[str, str | int | float | bool | None] | None = None,
    on_session_closed: Callable[[AgentSession[None]], None] | None = None,
    timing: TimingModel | None = None,
) -> SessionRecord:
    """One call: the agent greets, then each of ``turns`` is said by the caller in order.

    Every record says it is simulated (``metadata["simulated"] = True``). Simulated session ids
    start with ``sim-`` (the default, and the scenarios' ids): the dashboard's overview looks for
    simulated calls among those sessions only. ``timing`` rewrites
    the call's times, latencies and model usage with :mod:`signalroom.simulate.timing`
    (simulated, not measured), before the privacy policy applies.

    ``sink`` receives the in-progress checkpoints and the final record (from a worker thread).
    ``abandon`` ends the call as a caller hang-up (close reason ``participant_disconnected``).
    ``on_session_closed`` sees the closed session (the benchmark builds LiveKit's own report).
    """
    from livekit.agents import AgentSession

    from signalroom.agent import SalesAgent
    from signalroom.testing import ScriptedLLM

    if not turns:
        raise ValueError("a call needs at least one caller turn")
    session_id = session_id or f"sim-{int(time.time() * 1000)}"
    agent = SalesAgent(
        knowledge=_knowledge(settings),
        booking=_booking(settings),
        settings=settings.agent,
        booking_settings=settings.booking,
        clock=_clock(now),
        knowledge_top_k=settings.knowledge.top_k,
    )
    scripted = ScriptedLLM()
    speech: Any = None
    if audio:
        from .audio import AudioRig

        speech = AudioRig()
        session: AgentSession[None] = speech.session(
            llm=scripted, max_tool_steps=settings.agent.max_tool_steps
        )
    else:
        session = AgentSession(
            llm=scripted,
            vad=None,
            turn_handling={"turn_detection": None},  # text turns are committed as they come
            max_tool_steps=settings.agent.max_tool_steps,
        )
    interval = settings.agent.checkpoint_interval_s or settings.outbox.checkpoint_interval_s
    from signalroom.privacy import privacy_transform

    privacy = privacy_transform(settings)
    transform = privacy if timing is None else (lambda r: privacy(timing.apply(r)))
    recorder = SessionRecorder(
        session,
        room=session_id,
        session_id=session_id,
        agent_name=settings.agent.name,
        participant_identity=participant_identity or f"caller-{session_id}",
        sink=sink,
        checkpoint_interval_s=interval,
        # the privacy policy hashes (or keeps) the identity, with the deployment's key
        hash_identity=False,
        transform=transform,
        keep_transcript=settings.agent.keep_transcript,
        annotations=agent.annotations,
        metadata={"mode": "audio" if audio else "text", **(metadata or {}), "simulated": True},
    )
    try:
        await session.start(agent)
        await asyncio.wait_for(session.wait_for_idle(), TURN_TIMEOUT_S)  # the greeting first
        for text in turns:
            if pace_s > 0:
                await asyncio.sleep(pace_s)
            if speech is not None:
                await asyncio.wait_for(speech.say(session, text), TURN_TIMEOUT_S)
            else:
                await asyncio.wait_for(session.run(user_input=text), TURN_TIMEOUT_S)
        if abandon:
            recorder.finalize(ABANDONED)
        else:
            with contextlib.suppress(RuntimeError):
                await asyncio.wait_for(session.drain(), TURN_TIMEOUT_S)
    finally:
        await session.aclose()
        if speech is not None:
            await speech.aclose()
    if on_session_closed is not None:
        on_session_closed(session)
    return await recorder.aclose()


async def run_calls(
    scenarios: list[Scenario],
    *,
    settings: Settings,
    sink: Sink | None = None,
    audio: bool = False,
    pace_s: float = 0.0,
    on_done: Callable[[SessionRecord], None] | None = None,
    now: datetime | None = None,
    starts: list[datetime] | None = None,
) -> list[SessionRecord]:
    """The scenarios one after another (calls are cheap; order keeps output readable).

    ``starts`` (one per scenario) gives each call a start time and the timing model of
    :mod:`signalroom.simulate.timing`; the agent's clock then reads that start time too, so
    "tomorrow at 2pm" means the day after the simulated call.
    """
    from .timing import TimingModel

    if starts is not None and len(starts) != len(scenarios):
        raise ValueError(f"{len(starts)} start times for {len(scenarios)} scenarios")
    records = []
    for i, scenario in enumerate(scenarios):
        timing = None
        if starts is not None:
            agent = settings.agent
            timing = TimingModel(
                starts[i], llm=agent.llm, stt=agent.stt, tts=agent.tts, measured=audio
            )
        record = await run_call(
            scenario.turns,
            settings=settings,
            session_id=scenario.session_id,
            sink=sink,
            audio=audio,
            pace_s=pace_s,
            now=starts[i] if starts is not None else now,
            abandon=scenario.abandoned,
            participant_identity=scenario.persona.phone,
            metadata={"scenario": scenario.kind},
            timing=timing,
        )
        records.append(record)
        if on_done is not None:
            on_done(record)
    return records
