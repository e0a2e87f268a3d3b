"""``signalroom agent chat``: a text call with the real agent, its tools and its recorder.

The call is a real ``AgentSession`` with only an LLM: no STT, TTS, VAD, audio device or LiveKit
server. The :class:`SalesAgent`, its tools, the :class:`SessionRecorder`, the privacy transform
and the outbox are the ones a voice call uses (:mod:`signalroom.agent.call`), so the record is
the one a voice call leaves, with ``metadata.mode = "chat"``.

Caller turns come from standard input: one per line from a pipe (end of input ends the call),
or typed at a prompt in a terminal (Ctrl-D, Ctrl-C or ``/bye`` end it). A daemon thread reads
the input so the event loop never waits on it. An LLM that fails (unreachable, wrong key) ends
the call: the partial record (``complete=false``) is still delivered, and the caller gets one
line naming the endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from signalroom.config import Settings
from signalroom.record import SessionRecord

from .call import CallParts, open_call
from .models import ModelSpec, llm_spec

if TYPE_CHECKING:
    from livekit.agents import AgentSession

#: Upper bound for one reply (tool rounds included); a slow local model gets the same bound.
TURN_TIMEOUT_S = 300.0
#: How long the first request may take to fail before the call gives up: one retry, not three.
LLM_RETRIES = 1
#: How long a failed turn may take to wind down once the session reported the error.
SETTLE_S = 5.0
BYE = "/bye"
ERROR_CLOSE = "llm_error"


@dataclass
class ChatOutcome:
    record: SessionRecord
    turns: int
    error: str | None = None


class TurnSource:
    """Caller turns from a text stream, read on a daemon thread into the event loop."""

    def __init__(self, stream: TextIO, *, prompt: str | None = None) -> None:
        self._stream = stream
        self._prompt = prompt
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._wanted = threading.Event()
        threading.Thread(target=self._read, name="signalroom-chat-input", daemon=True).start()

    def _read(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._prompt is not None:
                sys.stderr.write(self._prompt)
                sys.stderr.flush()
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                line = ""
            if not line:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
                return
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)

    def close(self) -> None:
        """Ends the call as end of input would (Ctrl-C)."""
        self._queue.put_nowait(None)

    async def next(self) -> str | None:
        """The next non-empty turn, or None at the end of the call."""
        while True:
            self._wanted.set()
            line = await self._queue.get()
            if line is None:
                return None
            text = line.strip()
            if text == BYE:
                return None
            if text:
                return text


def new_session(settings: Settings, spec: ModelSpec, llm: Any) -> AgentSession[None]:
    """A text-only session on ``llm``; an endpoint that fails gives up after one retry."""
    from livekit.agents import AgentSession, APIConnectOptions
    from livekit.agents.voice.agent_session import SessionConnectOptions

    from .models import LOCAL_LLM_TIMEOUT_S

    timeout = LOCAL_LLM_TIMEOUT_S if spec.base_url else APIConnectOptions().timeout
    options = SessionConnectOptions(
        llm_conn_options=APIConnectOptions(max_retry=LLM_RETRIES, timeout=timeout),
        max_unrecoverable_errors=1,
    )
    return AgentSession(
        llm=llm,
        vad=None,
        turn_handling={"turn_detection": None},  # typed turns are committed as they come
        max_tool_steps=settings.agent.max_tool_steps,
        conn_options=options,
    )


async def run_chat(
    parts: CallParts,
    *,
    stream: TextIO,
    out: TextIO,
    sink: Any,
    interactive: bool,
) -> ChatOutcome:
    """One call: the greeting, then a reply to each turn read from ``stream``."""
    settings = parts.settings
    spec = llm_spec(settings.agent)
    session = new_session(settings, spec, parts.models["llm"])
    session_id = f"chat-{int(time.time() * 1000)}"
    call = open_call(
        parts,
        session,
        session_id=session_id,
        room=None,
        sink=sink,
        metadata={"mode": "chat", "llm": spec.label},
        participant_identity=f"caller-{session_id}",
    )
    failed: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_item(ev: Any) -> None:
        item = ev.item
        if getattr(item, "role", None) == "assistant" and item.text_content:
            out.write(("agent> " if interactive else "") + item.text_content.strip() + "\n")
            out.flush()

    def on_error(ev: Any) -> None:
        if not getattr(ev.error, "recoverable", True) and not failed.done():
            failed.set_result(_describe(ev.error, spec))

    session.on("conversation_item_added", on_item)
    session.on("error", on_error)
    turns = 0
    source = TurnSource(stream, prompt="you> " if interactive else None)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # no signals off the main thread
        loop.add_signal_handler(signal.SIGINT, source.close)
    try:
        await session.start(call.agent)
        await asyncio.wait_for(session.wait_for_idle(), TURN_TIMEOUT_S)
        while not failed.done() and (text := await source.next()) is not None:
            turns += 1
            reply = asyncio.ensure_future(_reply(session, text))
            either: set[asyncio.Future[Any]] = {reply, failed}
            await asyncio.wait(either, timeout=TURN_TIMEOUT_S, return_when="FIRST_COMPLETED")
            if failed.done() and not reply.done():
                # the session closes on the error; let the turn end with it, so it is read
                await asyncio.wait({reply}, timeout=SETTLE_S)
            if not reply.done():
                reply.cancel()
                if not failed.done():
                    failed.set_result(f"no reply from {spec.label} in {TURN_TIMEOUT_S:.0f}s")
            elif not reply.cancelled() and (exc := reply.exception()) and not failed.done():
                failed.set_result(_describe(exc, spec))
        if failed.done():
            # the partial call, as a worker killed mid-call would leave it
            record = call.recorder.record(ERROR_CLOSE, complete=False)
            call.recorder.detach()
            sink(record)
            return ChatOutcome(record=record, turns=turns, error=failed.result())
        with contextlib.suppress(RuntimeError):
            await asyncio.wait_for(session.drain(), TURN_TIMEOUT_S)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await session.aclose()
    return ChatOutcome(record=await call.recorder.aclose(), turns=turns)


async def _reply(session: AgentSession[None], text: str) -> None:
    await session.run(user_input=text)


def _describe(error: Any, spec: ModelSpec) -> str:
    inner = getattr(error, "error", error)
    status = getattr(inner, "status_code", None)
    where = spec.endpoint
    if status in (401, 403):
        return f"the LLM at {where} refused the key (HTTP {status})"
    if status is not None:
        return f"the LLM at {where} answered HTTP {status}: {getattr(inner, 'message', inner)}"
    if "timed out" in str(inner).lower() or type(inner).__name__ == "APITimeoutError":
        return f"the LLM at {where} did not answer in time"
    return f"cannot reach the LLM at {where} ({type(inner).__name__})"
