"""One call's parts, shared by the LiveKit worker and ``signalroom agent chat``.

:func:`prepare` does the blocking work a process does once, before any call (``prewarm`` in the
worker): it builds the knowledge index, runs the signal detector once so its tables are
compiled, and builds the models (plugin clients load TLS certificates, the VAD its model).
:func:`open_call` is what each call does on the event loop: a :class:`SalesAgent` and a
:class:`SessionRecorder` on the caller's session, whose sink is the deployment's outbox, with
the privacy transform applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from signalroom.collect import SessionRecorder, Sink
from signalroom.collect.recorder import Transform
from signalroom.config import Settings

from .sales_agent import SalesAgent

if TYPE_CHECKING:
    from livekit.agents import AgentSession

    from signalroom.knowledge import KnowledgeBase


@dataclass
class CallParts:
    """What one process prepares once and every call shares."""

    settings: Settings
    knowledge: KnowledgeBase
    transform: Transform
    #: ``AgentSession`` keyword arguments shared by every call: stt, llm, tts, vad.
    models: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    agent: SalesAgent
    session: AgentSession[None]
    recorder: SessionRecorder


def warm_detector() -> None:
    """Compile the signal detector's tables now instead of on a caller's first turn."""
    from signalroom.signals import warm

    warm()


def prepare(settings: Settings, *, voice: bool = True) -> CallParts:
    """Blocking setup for a process's calls: knowledge index, detector, privacy, models.

    ``voice`` builds the configured STT, LLM, TTS and VAD; without it, only the LLM (chat).
    """
    from signalroom.knowledge import LocalKnowledgeBase, build_knowledge_base
    from signalroom.privacy import privacy_transform

    from .models import build_llm, build_models, llm_spec

    warm_detector()
    knowledge = build_knowledge_base(settings.knowledge)
    if isinstance(knowledge, LocalKnowledgeBase):
        knowledge.search_sync("pricing")  # the first search loads the stemmer and the index
    models = build_models(settings.agent) if voice else {"llm": build_llm(llm_spec(settings.agent))}
    return CallParts(
        settings=settings,
        knowledge=knowledge,
        transform=privacy_transform(settings),
        models=models,
    )


def open_call(
    parts: CallParts,
    session: AgentSession[None],
    *,
    session_id: str,
    room: str | None,
    sink: Sink | None,
    metadata: dict[str, str | int | float | bool | None],
    participant_identity: str | None = None,
) -> Call:
    """The agent and the recorder for one call on ``session`` (attach before it starts)."""
    from signalroom.booking import build_booking_backend

    settings = parts.settings
    agent = SalesAgent(
        knowledge=parts.knowledge,
        booking=build_booking_backend(settings.booking, settings.home),
        settings=settings.agent,
        booking_settings=settings.booking,
        knowledge_top_k=settings.knowledge.top_k,
    )
    recorder = SessionRecorder(
        session,
        room=room,
        session_id=session_id,
        agent_name=settings.agent.name,
        participant_identity=participant_identity,
        # the privacy policy's participant_identity rule hashes (or keeps) it in ``transform``
        hash_identity=False,
        sink=sink,
        transform=parts.transform,
        checkpoint_interval_s=(
            settings.agent.checkpoint_interval_s or settings.outbox.checkpoint_interval_s
        ),
        keep_transcript=settings.agent.keep_transcript,
        annotations=agent.annotations,
        metadata=metadata,
    )
    return Call(agent=agent, session=session, recorder=recorder)
