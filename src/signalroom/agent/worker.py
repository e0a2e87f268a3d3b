"""The LiveKit worker: ``AgentServer`` with one ``rtc_session`` running :class:`SalesAgent`.

Launched the way livekit-agents 1.8.9 launches any server (``python -m livekit.agents start``,
see :mod:`signalroom.agent.commands`). The configured plugins are imported right here, at module
import, because LiveKit registers plugins only on a process's main thread: the CLI imports this
module on its main thread, and each job process does so when it loads the entrypoint.

``prewarm`` does everything blocking once per process, before any call: settings, knowledge
index, the signal detector's tables, the VAD model, the outbox and its forwarder thread. Each
call gets a :class:`~signalroom.collect.SessionRecorder` whose sink is the home's outbox:
checkpoints while the call runs, the final record at the session's close event, and again
through ``on_session_end`` (which also runs after abrupt closes) if close never came. Settings
come from ``$SIGNALROOM_HOME`` (``signalroom agent ...`` sets it for the job processes).
"""

from __future__ import annotations

import logging

from livekit.agents import AgentServer, AgentSession, JobContext, JobProcess, room_io

from signalroom.config import load_settings

from .call import Call, CallParts, open_call, prepare
from .models import import_plugins, is_text_only, turn_handling

logger = logging.getLogger("signalroom.agent")

_settings = load_settings()
#: The plugins this deployment uses, registered on the main thread at import (LiveKit's rule).
PLUGINS = import_plugins(_settings.agent)

#: Live calls of this process, by job id, for ``on_session_end``.
calls: dict[str, Call] = {}


def prewarm(proc: JobProcess) -> None:
    """Per-process setup, before any call: everything that would block the event loop.

    One outbox and one forwarder thread per worker process: calls append in milliseconds and
    the forwarder sends to the queue in the background, so no call ever waits on the network.
    """
    from signalroom.outbox import Forwarder, Outbox

    settings = load_settings()
    proc.userdata["parts"] = prepare(settings)
    outbox = Outbox(settings.outbox_path, settings.outbox)
    forwarder = Forwarder(outbox, settings.resolved_queue_url)
    forwarder.start()
    proc.userdata["outbox"] = outbox
    proc.userdata["forwarder"] = forwarder


server = AgentServer(setup_fnc=prewarm)


async def on_session_end(ctx: JobContext) -> None:
    """Final record for calls that ended without a ``close`` event, then wait for the sink."""
    call = calls.pop(ctx.job.id, None)
    if call is None:
        return
    try:
        report = ctx.make_session_report()
        call.recorder.absorb_usage(report.model_usage or [])
    except RuntimeError as exc:  # no session was started: nothing more to learn
        logger.debug("no session report: %s", exc)
    await call.recorder.aclose("job_shutdown")


@server.rtc_session(agent_name=_settings.agent.name, on_session_end=on_session_end)
async def entrypoint(ctx: JobContext) -> None:
    parts: CallParts | None = ctx.proc.userdata.get("parts")
    if parts is None:  # a process started without prewarm (tests, custom servers)
        logger.warning("no prewarm for this process: preparing the call on the event loop")
        parts = prepare(load_settings())
        ctx.proc.userdata["parts"] = parts
    settings = parts.settings
    outbox = ctx.proc.userdata.get("outbox")
    if outbox is None:
        from signalroom.outbox import Outbox

        outbox = ctx.proc.userdata["outbox"] = Outbox(settings.outbox_path, settings.outbox)
    session: AgentSession[None] = AgentSession(
        **parts.models,
        turn_handling=turn_handling(settings.agent),
        max_tool_steps=settings.agent.max_tool_steps,
    )
    room = ctx.job.room.name or ctx.room.name
    call = open_call(
        parts,
        session,
        session_id=room or ctx.job.id,
        room=room,
        sink=outbox.append,
        metadata={"job_id": ctx.job.id, "mode": "livekit"},
    )
    calls[ctx.job.id] = call
    # a text-only agent (stt and tts 'none') answers the room's chat and publishes no audio
    audio = not is_text_only(settings.agent)
    options = room_io.RoomOptions(audio_input=audio, audio_output=audio)
    await session.start(agent=call.agent, room=ctx.room, room_options=options)
    participant = await ctx.wait_for_participant()
    call.recorder.set_participant(participant.identity, hashed=False)
