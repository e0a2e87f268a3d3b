"""The LiveKit worker: ``AgentServer`` with one ``rtc_session`` running :class:`SalesAgent`.

Each call gets a :class:`~signalroom.collect.SessionRecorder` whose sink is the home's outbox:
checkpoints while the call runs, the final record at the session's close event, and again
through ``on_session_end`` (which also runs after abrupt closes) if close never came. Settings
come from ``$SIGNALROOM_HOME`` (``signalroom agent ...`` sets it for the job processes).
"""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import AgentServer, AgentSession, JobContext, JobProcess

from signalroom.collect import SessionRecorder
from signalroom.config import Settings, load_settings

from .models import build_models
from .sales_agent import SalesAgent

logger = logging.getLogger("signalroom.agent")

#: Live recorders of this process, by job id, for ``on_session_end``.
_recorders: dict[str, SessionRecorder] = {}


def prewarm(proc: JobProcess) -> None:
    """Per-process setup, before any call: settings, knowledge index, outbox and forwarder.

    One outbox and one forwarder thread per worker process: calls append in milliseconds and
    the forwarder sends to the queue in the background, so no call ever waits on the network.
    """
    from signalroom.knowledge import build_knowledge_base
    from signalroom.outbox import Forwarder, Outbox
    from signalroom.privacy import privacy_transform

    settings = load_settings()
    proc.userdata["settings"] = settings
    proc.userdata["knowledge"] = build_knowledge_base(settings.knowledge)
    outbox = Outbox(settings.outbox_path, settings.outbox)
    forwarder = Forwarder(outbox, settings.resolved_queue_url)
    forwarder.start()
    proc.userdata["outbox"] = outbox
    proc.userdata["forwarder"] = forwarder
    proc.userdata["transform"] = privacy_transform(settings)


server = AgentServer(setup_fnc=prewarm)


async def on_session_end(ctx: JobContext) -> None:
    """Final record for calls that ended without a ``close`` event, then wait for the sink."""
    recorder = _recorders.pop(ctx.job.id, None)
    if recorder is None:
        return
    try:
        report = ctx.make_session_report()
        recorder.absorb_usage(report.model_usage or [])
    except RuntimeError as exc:  # no session was started: nothing more to learn
        logger.debug("no session report: %s", exc)
    await recorder.aclose("job_shutdown")


@server.rtc_session(agent_name=load_settings().agent.name, on_session_end=on_session_end)
async def entrypoint(ctx: JobContext) -> None:
    from signalroom.booking import build_booking_backend
    from signalroom.outbox import Outbox
    from signalroom.privacy import privacy_transform

    settings: Settings = ctx.proc.userdata.get("settings") or load_settings()
    knowledge: Any = ctx.proc.userdata.get("knowledge")
    if knowledge is None:
        from signalroom.knowledge import build_knowledge_base

        knowledge = build_knowledge_base(settings.knowledge)
    outbox: Outbox = ctx.proc.userdata.get("outbox") or Outbox(
        settings.outbox_path, settings.outbox
    )
    transform = ctx.proc.userdata.get("transform") or privacy_transform(settings)
    agent = SalesAgent(
        knowledge=knowledge,
        booking=build_booking_backend(settings.booking, settings.home),
        settings=settings.agent,
        booking_settings=settings.booking,
        knowledge_top_k=settings.knowledge.top_k,
    )
    session: AgentSession[None] = AgentSession(
        **build_models(settings.agent), max_tool_steps=settings.agent.max_tool_steps
    )
    recorder = SessionRecorder(
        session,
        room=ctx.room.name,
        session_id=ctx.room.name or ctx.job.id,
        agent_name=settings.agent.name,
        sink=outbox.append,
        transform=transform,
        checkpoint_interval_s=(
            settings.agent.checkpoint_interval_s or settings.outbox.checkpoint_interval_s
        ),
        keep_transcript=settings.agent.keep_transcript,
        annotations=agent.annotations,
        metadata={"job_id": ctx.job.id, "mode": "livekit"},
    )
    _recorders[ctx.job.id] = recorder
    await session.start(agent=agent, room=ctx.room)
    participant = await ctx.wait_for_participant()
    # hashed (or kept) by the privacy policy's participant_identity rule in ``transform``
    recorder.set_participant(participant.identity, hashed=False)
