"""``SessionRecorder``: watches any LiveKit ``AgentSession`` and builds its session record.

It is an observer, never a stage of the call. Each handler appends a few numbers or short tuples
to memory and returns: no I/O, no awaits, no copies of the chat history. An exception inside a
handler is caught, counted in the record's ``collection_errors`` and logged once; it never
reaches the agent. Records leave through ``sink``, always from one worker thread, so a sink that
writes to disk (the outbox) never blocks the event loop:

- every ``checkpoint_interval_s`` an in-progress record (``complete=False``), so a worker killed
  mid-call still leaves the call behind;
- at the session's ``close`` event (or :meth:`finalize`) the final record (``complete=True``).

Each record built gets the next ``revision``, so the final record is always the highest.
"""

from __future__ import annotations

import array
import asyncio
import concurrent.futures
import logging
import math
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from signalroom.record import SessionRecord
from signalroom.signals import SignalState

from .annotations import CallAnnotations
from .build import TURN_COLUMNS, Snapshot, build_record
from .identity import hash_identity
from .tool_calls import ToolRow, make_row, parse_arguments
from .usage import UsageRow, compact

if TYPE_CHECKING:
    from livekit.agents import AgentSession

logger = logging.getLogger("signalroom.collect")

Sink = Callable[[SessionRecord], None]
Transform = Callable[[SessionRecord], SessionRecord]
HandlerObserver = Callable[[str, float], None]

#: Tool names whose arguments are also signals (second channel, provenance "tool").
SIGNAL_TOOL = "record_signal"
_MAX_ERRORS = 200
_MAX_TOOLS = 1_000
_MAX_TURNS = 2_000
_MAX_TEXT = 20_000
_NAN = math.nan


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


class SessionRecorder:
    """Attach to ``session`` before ``session.start()``; read :meth:`record` at any time."""

    __slots__ = (
        "_agent_name",
        "_annotations",
        "_checkpoint_handle",
        "_close_reason",
        "_collection_errors",
        "_ended_at",
        "_errors",
        "_executor",
        "_final",
        "_final_future",
        "_handlers",
        "_keep_transcript",
        "_last_user_at",
        "_logged",
        "_loop",
        "_metadata",
        "_observe",
        "_participant",
        "_pending_user",
        "_revision",
        "_room",
        "_session",
        "_session_id",
        "_signals",
        "_sink",
        "_started_at",
        "_tool_started",
        "_tools",
        "_transcript",
        "_transform",
        "_turns",
        "_usage",
        "_user_turns",
        "checkpoint_interval_s",
    )

    def __init__(
        self,
        session: AgentSession[Any],
        *,
        room: str | None = None,
        agent_name: str | None = None,
        participant_identity: str | None = None,
        sink: Sink | None = None,
        checkpoint_interval_s: float | None = None,
        hash_identity: bool = True,
        hash_key: bytes | None = None,
        keep_transcript: bool = True,
        transform: Transform | None = None,
        annotations: CallAnnotations | None = None,
        session_id: str | None = None,
        metadata: dict[str, str | int | float | bool | None] | None = None,
        observe_handler: HandlerObserver | None = None,
    ) -> None:
        if checkpoint_interval_s is not None and checkpoint_interval_s <= 0:
            raise ValueError("checkpoint_interval_s must be positive (or None for no checkpoints)")
        self._session = session
        self._session_id = session_id or room or f"session-{uuid.uuid4().hex[:12]}"
        self._room = room
        self._agent_name = agent_name
        self._participant: str | None = None
        self._sink = sink
        self._transform = transform
        self._annotations = annotations
        self._keep_transcript = keep_transcript
        self._metadata = dict(metadata or {})
        self._observe = observe_handler
        self.checkpoint_interval_s = checkpoint_interval_s

        self._started_at = time.time()
        self._ended_at: float | None = None
        self._close_reason: str | None = None
        self._errors: list[str] = []
        self._collection_errors = 0
        self._logged: set[str] = set()
        self._revision = 0
        self._user_turns = 0
        self._last_user_at = 0.0
        self._signals = SignalState()
        self._tools: list[ToolRow] = []
        self._tool_started: dict[str, float] = {}
        self._usage: tuple[UsageRow, ...] = ()
        self._turns = array.array("f")  # float32: latencies in seconds need no more
        self._pending_user = (_NAN, _NAN)
        self._transcript: list[tuple[str, str, float, int | None]] | None = (
            [] if keep_transcript else None
        )
        self._final: SessionRecord | None = None
        self._final_future: concurrent.futures.Future[None] | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._checkpoint_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

        if participant_identity is not None:
            self.set_participant(participant_identity, hashed=hash_identity, key=hash_key)

        self._handlers: dict[str, Callable[[Any], None]] = {
            "conversation_item_added": self._guard("conversation_item_added", self._on_item),
            "function_tools_executed": self._guard("function_tools_executed", self._on_tools),
            "tool_execution_updated": self._guard("tool_execution_updated", self._on_tool_update),
            "session_usage_updated": self._guard("session_usage_updated", self._on_usage),
            "error": self._guard("error", self._on_error),
            "close": self._guard("close", self._on_close),
        }
        for event, handler in self._handlers.items():
            session.on(event, handler)  # type: ignore[arg-type]
        self._start_checkpoints()

    # -- public surface ---------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def collection_errors(self) -> int:
        return self._collection_errors

    def set_participant(
        self, identity: str, *, hashed: bool = True, key: bytes | None = None
    ) -> None:
        """Record who called; hashed (keyed when ``key`` is given) unless ``hashed`` is False."""
        self._participant = hash_identity(identity, key) if hashed else identity[:512]

    def detach(self) -> None:
        """Stop listening to the session (the state gathered so far stays readable)."""
        for event, handler in self._handlers.items():
            self._session.off(event, handler)  # type: ignore[arg-type]
        self._cancel_checkpoints()

    def absorb_usage(self, model_usage: Any) -> None:
        """Take usage totals from elsewhere (a LiveKit ``SessionReport``'s ``model_usage``)."""
        rows = compact(model_usage)
        if rows:
            self._usage = rows

    def record(self, close_reason: str | None = None, *, complete: bool = True) -> SessionRecord:
        """Build the record now. Each call gets the next revision."""
        if close_reason is not None:
            self._close_reason = close_reason[:512]
        return self._finish(build_record(self._snapshot(complete=complete)))

    def finalize(self, close_reason: str | None = None) -> SessionRecord:
        """Build the final record once and hand it to the sink; later calls return the same one."""
        if self._final is not None:
            return self._final
        if self._ended_at is None:
            self._ended_at = time.time()
        self._cancel_checkpoints()
        self._final = self.record(close_reason, complete=True)
        self._final_future = self._submit(self._final)
        return self._final

    async def aclose(self, close_reason: str | None = None) -> SessionRecord:
        """Finalize, then wait (off the loop) until the sink has taken every record."""
        final = self.finalize(close_reason)
        self.detach()
        if self._final_future is not None:
            await asyncio.wrap_future(self._final_future)
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        return final

    # -- event handlers (the call path: memory only) ----------------------------------------

    def _on_item(self, ev: Any) -> None:
        item = ev.item
        if self._annotations is None:
            self._annotations = _agent_annotations(self._session)
        if getattr(item, "type", None) != "message" or item.role not in ("user", "assistant"):
            return
        text = item.text_content or ""
        created = float(getattr(item, "created_at", 0.0) or time.time())
        metrics = item.metrics or {}
        if item.role == "user":
            turn = self._user_turns
            self._user_turns += 1
            self._last_user_at = created
            self._pending_user = (
                float(metrics.get("end_of_turn_delay", _NAN)),
                float(metrics.get("transcription_delay", _NAN)),
            )
            if self._transcript is not None:
                self._transcript.append(("user", text[:_MAX_TEXT], created, turn))
            if text:
                self._signals.update(text, at=_at(created), turn_index=turn)
            return
        # a reply that began before the latest caller turn (a greeting still playing)
        # answers the turn before it
        began = float(metrics.get("started_speaking_at", created))
        turn_of_reply = self._user_turns - (2 if began < self._last_user_at else 1)
        if len(self._turns) < _MAX_TURNS * len(TURN_COLUMNS):
            eot, transcription = self._pending_user
            self._pending_user = (_NAN, _NAN)
            self._turns.extend(
                (
                    float(turn_of_reply),
                    float(metrics.get("e2e_latency", _NAN)),
                    float(metrics.get("llm_node_ttft", _NAN)),
                    float(metrics.get("tts_node_ttfb", _NAN)),
                    eot,
                    transcription,
                )
            )
        if self._transcript is not None and text:
            reply_turn = turn_of_reply if turn_of_reply >= 0 else None
            self._transcript.append(("assistant", text[:_MAX_TEXT], created, reply_turn))

    def _on_tool_update(self, ev: Any) -> None:
        update = ev.update
        if update.type == "tool_call_started" and len(self._tool_started) < 64:
            self._tool_started[update.function_call.call_id] = float(ev.created_at)

    def _on_tools(self, ev: Any) -> None:
        for call, out in ev.zipped():
            if len(self._tools) >= _MAX_TOOLS:
                return
            args = parse_arguments(call.arguments)
            started = self._tool_started.pop(call.call_id, float(call.created_at))
            row = make_row(
                call.name,
                args,
                out.output,
                out.is_error,
                started_at=started,
                ended_at=float(out.created_at),
            )
            self._tools.append(row)
            if call.name == SIGNAL_TOOL and not out.is_error and "field" in args:
                # the tool's own normalized value when it reports one, else the raw argument
                result = parse_arguments(out.output)
                self._signals.apply(
                    str(args["field"]),
                    result.get("value", args.get("value")),
                    source="tool",
                    at=_at(started),
                    turn_index=self._user_turns - 1 if self._user_turns else None,
                )

    def _on_usage(self, ev: Any) -> None:
        self._usage = compact(ev.usage.model_usage)

    def _on_error(self, ev: Any) -> None:
        if len(self._errors) < _MAX_ERRORS:
            self._errors.append(_describe_error(ev.error, ev.source)[:_MAX_TEXT])

    def _on_close(self, ev: Any) -> None:
        self._close_reason = str(getattr(ev.reason, "value", ev.reason))
        if ev.error is not None and len(self._errors) < _MAX_ERRORS:
            self._errors.append(_describe_error(ev.error, None)[:_MAX_TEXT])
        self._ended_at = float(ev.created_at)
        self.finalize()

    # -- internals ---------------------------------------------------------------------------

    def _guard(self, name: str, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        observe = self._observe

        def handler(ev: Any) -> None:
            start = time.perf_counter() if observe is not None else 0.0
            try:
                fn(ev)
            except Exception:
                self._count_error(name)
            if observe is not None:
                observe(name, time.perf_counter() - start)

        return handler

    def _count_error(self, where: str) -> None:
        self._collection_errors += 1
        if where not in self._logged:
            self._logged.add(where)
            logger.exception("session collection failed in %s (counted; logged once)", where)

    def _snapshot(self, *, complete: bool) -> Snapshot:
        self._revision += 1
        if self._annotations is None:
            self._annotations = _agent_annotations(self._session)
        ann = self._annotations
        agent_turns = len(self._turns) // len(TURN_COLUMNS)
        return Snapshot(
            revision=self._revision,
            complete=complete,
            session_id=self._session_id,
            started_at=self._started_at,
            ended_at=self._ended_at if complete else None,
            agent_name=self._agent_name,
            room=self._room,
            participant_identity=self._participant,
            close_reason=self._close_reason,
            errors=tuple(self._errors),
            collection_errors=self._collection_errors,
            user_turns=self._user_turns,
            agent_turns=agent_turns,
            signals=self._signals.snapshot(),
            evidence=self._signals.evidence(),
            tools=tuple(self._tools),
            usage=self._usage,
            turns=tuple(self._turns),
            transcript=tuple(self._transcript) if self._transcript is not None else None,
            stages=ann.stage_history if ann is not None else (),
            notes=ann.notes if ann is not None else (),
            metadata=self._metadata,
        )

    def _finish(self, record: SessionRecord) -> SessionRecord:
        if self._transform is None:
            return record
        try:
            return self._transform(record)
        except Exception:
            # never send text the transform was meant to clean: drop it instead
            self._count_error("transform")
            return record.model_copy(
                update={
                    "transcript": None,
                    "conversation_notes": [],
                    "collection_errors": record.collection_errors + 1,
                }
            )

    def _submit(self, record: SessionRecord) -> concurrent.futures.Future[None] | None:
        if self._sink is None:
            return None
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="signalroom-recorder"
            )
        return self._executor.submit(self._deliver, record)

    def _deliver(self, record: SessionRecord) -> None:
        try:
            assert self._sink is not None
            self._sink(record)
        except Exception:
            self._count_error("sink")

    def _start_checkpoints(self) -> None:
        if self.checkpoint_interval_s is None or self._sink is None:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop yet: the owner calls checkpoint() itself
        self._checkpoint_handle = self._loop.call_later(self.checkpoint_interval_s, self._tick)

    def _tick(self) -> None:
        self._checkpoint_handle = None
        if self._final is not None or self._loop is None or self.checkpoint_interval_s is None:
            return
        self.checkpoint()
        self._checkpoint_handle = self._loop.call_later(self.checkpoint_interval_s, self._tick)

    def checkpoint(self) -> None:
        """Hand an in-progress record to the sink now (built and delivered off the loop)."""
        if self._final is not None:
            return
        try:
            snap = self._snapshot(complete=False)
        except Exception:
            self._count_error("checkpoint")
            return
        if self._sink is None:
            return
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="signalroom-recorder"
            )
        self._executor.submit(self._build_and_deliver, snap)

    def _build_and_deliver(self, snap: Snapshot) -> None:
        try:
            record = self._finish(build_record(snap))
        except Exception:
            self._count_error("checkpoint")
            return
        self._deliver(record)

    def _cancel_checkpoints(self) -> None:
        if self._checkpoint_handle is not None:
            self._checkpoint_handle.cancel()
            self._checkpoint_handle = None


def _agent_annotations(session: AgentSession[Any]) -> CallAnnotations | None:
    try:
        agent = session.current_agent
    except RuntimeError:  # not started yet, or already closed
        return None
    ann = getattr(agent, "annotations", None)
    return ann if isinstance(ann, CallAnnotations) else None


def _describe_error(error: Any, source: Any) -> str:
    inner = getattr(error, "error", error)
    label = getattr(error, "type", None) or type(inner).__name__
    origin = f"{getattr(source, 'provider', '')}/{getattr(source, 'model', '')}" if source else ""
    head = f"{label} ({origin})" if origin.strip("/") else str(label)
    return f"{head}: {inner}"
