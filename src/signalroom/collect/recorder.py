"""``SessionRecorder``: watches any LiveKit ``AgentSession`` and builds its session record.

It is an observer, never a stage of the call. Each handler appends a few numbers or short tuples
to memory and returns: no I/O, no awaits, no copies of the chat history; parsing tool outputs
and building models wait until a record is built, and signal detection runs just after the
event's callback, in call order (:mod:`.detection`), applied in full before a record is read.
An exception inside a handler is caught, counted in the record's ``collection_errors`` and
logged once; it never reaches the agent. Records leave through ``sink``, always from one worker
thread, so a sink that writes to disk (the outbox) never blocks the event loop:

- every ``checkpoint_interval_s`` an in-progress record (``complete=False``), so a worker killed
  mid-call still leaves the call behind;
- at the session's ``close`` event (or :meth:`finalize`) the final record (``complete=True``),
  read and built on that thread too: nothing changes the state once the session is closed.

Each record built gets the next ``revision``, so the final record is always the highest.
"""

from __future__ import annotations

import array
import asyncio
import concurrent.futures
import contextlib
import logging
import math
import sys
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from signalroom.record import SessionRecord

from .annotations import CallAnnotations
from .build import LATENCY_COLUMNS, Snapshot, build_record
from .detection import SignalQueue, apply_signal_tool
from .identity import hash_identity
from .listeners import HandlerObserver, Listener, TimedListener, describe_error
from .tool_calls import RawCall
from .usage import UsageRow, compact

if TYPE_CHECKING:
    from livekit.agents import AgentSession

logger = logging.getLogger("signalroom.collect")

Sink = Callable[[SessionRecord], None]
Transform = Callable[[SessionRecord], SessionRecord]

#: Tool names whose arguments are also signals (second channel, provenance "tool").
SIGNAL_TOOL = "record_signal"
_MAX_ERRORS = 200
_MAX_TOOLS = 1_000
_MAX_TURNS = 2_000
_MAX_TEXT = 20_000
_NAN = math.nan
_NAN_ROW = array.array("f", [_NAN])
_NO_PENDING = (_NAN, _NAN)
_NO_METRICS: dict[str, Any] = {}


class SessionRecorder:
    """Attach to ``session`` before ``session.start()``; read :meth:`record` at any time."""

    __slots__ = (
        "_absorbed_usage",
        "_agent_name",
        "_annotations",
        "_checkpoint_handle",
        "_close_reason",
        "_collection_errors",
        "_ended_at",
        "_errors",
        "_executor",
        "_final",
        "_final_built",
        "_final_future",
        "_final_revision",
        "_keep_transcript",
        "_last_user_at",
        "_latencies",
        "_listeners",
        "_logged",
        "_loop",
        "_metadata",
        "_participant",
        "_pending_user",
        "_reply_turns",
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
        self._metadata = dict(metadata) if metadata else None
        self.checkpoint_interval_s = checkpoint_interval_s

        self._started_at = time.time()
        self._ended_at: float | None = None
        self._close_reason: str | None = None
        # made on first use: most calls have no error and no tool in flight
        self._errors: list[str] | None = None
        self._logged: set[str] | None = None
        self._tool_started: dict[str, float] | None = None
        self._collection_errors = 0
        self._revision = 0
        self._user_turns = 0
        self._last_user_at = 0.0
        # detection runs after each event's callback, in call order (see collect/detection.py)
        self._signals = SignalQueue(self._count_error, observe_handler)
        self._tools: list[RawCall] = []
        self._absorbed_usage: tuple[UsageRow, ...] = ()
        self._reply_turns = array.array("i")  # the user turn each agent reply answers
        # one float32 array per latency column, made when a reply first reports it (a text
        # session measures only the LLM's time to first token)
        self._latencies: list[array.array[float] | None] = [None] * len(LATENCY_COLUMNS)
        self._pending_user = _NO_PENDING
        self._transcript: list[tuple[str, str, float, int | None]] | None = (
            [] if keep_transcript else None
        )
        self._final: SessionRecord | None = None
        self._final_built: concurrent.futures.Future[SessionRecord] | None = None
        self._final_future: concurrent.futures.Future[None] | None = None
        self._final_revision: int | None = None  # reserved when the call closes
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._checkpoint_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

        if participant_identity is not None:
            self.set_participant(participant_identity, hashed=hash_identity, key=hash_key)

        # usage is read from ``session.usage`` when a record is built (LiveKit keeps the
        # totals), so ``session_usage_updated`` needs no handler on the call path
        self._listeners = tuple(
            Listener(self, event, method)
            if observe_handler is None
            else TimedListener(self, event, method, observe_handler)
            for event, method in _HANDLERS
        )
        for listener in self._listeners:
            session.on(listener._event, listener)  # type: ignore[arg-type]
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
        for listener in self._listeners:
            self._session.off(listener._event, listener)  # type: ignore[arg-type]
        self._cancel_checkpoints()

    def absorb_usage(self, model_usage: Any) -> None:
        """Take usage totals from elsewhere (a LiveKit ``SessionReport``'s ``model_usage``);
        used when the session itself reports none."""
        rows = compact(model_usage)
        if rows:
            self._absorbed_usage = rows

    def record(self, close_reason: str | None = None, *, complete: bool = True) -> SessionRecord:
        """Build the record now. Each call gets the next revision until the call closes; from
        then on this is the final record (same revision, ``complete``), so nothing built after
        the close can outrank the final record in a store."""
        if self._final_revision is not None:
            return self._final if self._final is not None else self._build_final()
        if close_reason is not None:
            self._close_reason = close_reason[:512]
        return self._finish(build_record(self._snapshot(complete=complete)))

    def finalize(self, close_reason: str | None = None) -> SessionRecord:
        """Build the final record once and hand it to the sink; later calls return the same one."""
        if self._final is not None:
            return self._final
        if self._final_built is not None:  # sealed at close; the worker builds it
            # a build that failed on the worker was counted there; it is retried below,
            # where the error reaches the caller
            with contextlib.suppress(Exception):
                self._final = self._final_built.result()
                return self._final
        if self._final_revision is None:
            self._close(close_reason)
        self._final = self._build_final()
        # reached only when no final was delivered yet: either none was built at close, or the
        # worker's build failed (its delivery step then hands nothing to the sink)
        self._final_future = self._submit(self._final)
        return self._final

    async def aclose(self, close_reason: str | None = None) -> SessionRecord:
        """Finalize, then wait (off the loop) until the sink has taken every record."""
        if self._final is None and self._final_built is not None:
            with contextlib.suppress(Exception):  # finalize() reports it
                await asyncio.wrap_future(self._final_built)
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
        if self._annotations is None and self._user_turns == 0:
            # the agent's own annotations, taken while the call is up (after it closes the
            # session no longer names its agent)
            self._annotations = _agent_annotations(self._session)
        if getattr(item, "type", None) != "message":
            return
        role = item.role
        if role == "user":
            self._on_user(item)
        elif role == "assistant":
            self._on_reply(item)

    def _on_user(self, item: Any) -> None:
        created = float(getattr(item, "created_at", 0.0) or time.time())
        turn = self._user_turns
        self._user_turns = turn + 1
        self._last_user_at = created
        metrics = item.metrics
        self._pending_user = (
            (
                float(metrics.get("end_of_turn_delay", _NAN)),
                float(metrics.get("transcription_delay", _NAN)),
            )
            if metrics
            else _NO_PENDING
        )
        text = item.text_content or ""
        if self._transcript is not None:
            self._transcript.append(("user", text[:_MAX_TEXT], created, turn))
        if text:
            self._signals.merge_text(text, at=created, turn_index=turn)

    def _on_reply(self, item: Any) -> None:
        created = float(getattr(item, "created_at", 0.0) or time.time())
        metrics = item.metrics or _NO_METRICS
        # a reply that began before the latest caller turn (a greeting still playing)
        # answers the turn before it
        began = float(metrics.get("started_speaking_at", created))
        turn_of_reply = self._user_turns - (2 if began < self._last_user_at else 1)
        replies = len(self._reply_turns)
        if replies < _MAX_TURNS:
            self._reply_turns.append(turn_of_reply)
            eot, transcription = self._pending_user
            self._pending_user = _NO_PENDING
            columns = self._latencies
            for k, value in enumerate(
                (
                    float(metrics.get("e2e_latency", _NAN)),
                    float(metrics.get("llm_node_ttft", _NAN)),
                    float(metrics.get("tts_node_ttfb", _NAN)),
                    eot,
                    transcription,
                )
            ):
                column = columns[k]
                if column is None:
                    if math.isnan(value):  # not measured, and no reply so far was either
                        continue
                    column = columns[k] = array.array("f", _NAN_ROW * replies)
                column.append(value)
        if self._transcript is not None:
            text = item.text_content  # never read otherwise: LiveKit strips markup to make it
            if text:
                reply_turn = turn_of_reply if turn_of_reply >= 0 else None
                self._transcript.append(("assistant", text[:_MAX_TEXT], created, reply_turn))

    def _on_tool_update(self, ev: Any) -> None:
        update = ev.update
        if update.type == "tool_call_started":
            started = self._tool_started
            if started is None:
                started = self._tool_started = {}
            if len(started) < 64:
                started[update.function_call.call_id] = float(ev.created_at)

    def _on_tools(self, ev: Any) -> None:
        started_at = self._tool_started
        for call, out in ev.zipped():
            if len(self._tools) >= _MAX_TOOLS:
                return
            started = started_at.pop(call.call_id, None) if started_at else None
            if started is None:
                started = float(call.created_at)
            # kept as given (LiveKit's strings, not copies): parsed when a record is built
            name = sys.intern(call.name)
            self._tools.append(
                (name, call.arguments, out.output, out.is_error, started, float(out.created_at))
            )
            if name == SIGNAL_TOOL and not out.is_error:
                self._on_signal_tool(call.arguments, out.output, started)

    def _on_signal_tool(self, arguments: str, output: str, at: float) -> None:
        """A signal the model reported merges in call order with the detected ones; its JSON
        is parsed with them, after the event's callback."""
        turn = self._user_turns - 1 if self._user_turns else None
        self._signals.defer(apply_signal_tool, arguments, output, at, turn)

    def _on_error(self, ev: Any) -> None:
        self._add_error(describe_error(ev.error, ev.source))

    def _on_close(self, ev: Any) -> None:
        self._close_reason = str(getattr(ev.reason, "value", ev.reason))
        if ev.error is not None:
            self._add_error(describe_error(ev.error, None))
        self._ended_at = float(ev.created_at)
        if self._final is not None or self._final_revision is not None:
            return  # finalized already (an abandoned call)
        self._close()
        # nothing changes the state once the session is closed, so the final record is read
        # and built on the worker thread (without a sink: by the first finalize() or aclose())
        if self._sink is not None:
            worker = self._worker()
            self._final_built = worker.submit(self._build_final, True)
            self._final_future = worker.submit(self._deliver_built)

    # -- internals ---------------------------------------------------------------------------

    def _add_error(self, text: str) -> None:
        if self._errors is None:
            self._errors = []
        if len(self._errors) < _MAX_ERRORS:
            self._errors.append(text[:_MAX_TEXT])

    def _count_error(self, where: str) -> None:
        self._collection_errors += 1
        if self._logged is None:
            self._logged = set()
        if where not in self._logged:
            self._logged.add(where)
            logger.exception("session collection failed in %s (counted; logged once)", where)

    def _close(self, close_reason: str | None = None) -> None:
        """End the call: no more checkpoints, and the final record's revision reserved (so a
        ``record()`` in between cannot take it)."""
        if close_reason is not None:
            self._close_reason = close_reason[:512]
        if self._ended_at is None:
            self._ended_at = time.time()
        self._cancel_checkpoints()
        self._revision += 1
        self._final_revision = self._revision

    def _build_final(self, on_worker: bool = False) -> SessionRecord:
        assert self._final_revision is not None
        try:
            snap = self._snapshot(complete=True, revision=self._final_revision)
            return self._finish(build_record(snap))
        except Exception:
            if on_worker:
                self._count_error("close")
            raise

    def _deliver_built(self) -> None:
        assert self._final_built is not None
        try:
            record = self._final_built.result()
        except Exception:
            return  # counted when building
        self._deliver(record)

    def _usage_rows(self) -> tuple[UsageRow, ...]:
        """The session's usage totals so far (LiveKit sums them per model)."""
        try:
            rows = compact(self._session.usage.model_usage)
        except (AttributeError, RuntimeError):  # a session object without usage totals
            rows = ()
        return rows or self._absorbed_usage

    def _snapshot(self, *, complete: bool, revision: int | None = None) -> Snapshot:
        signals, evidence = self._signals.read()  # every input so far, the last turn's too
        if revision is None:
            self._revision += 1
            revision = self._revision
        if self._annotations is None:
            self._annotations = _agent_annotations(self._session)
        ann = self._annotations
        return Snapshot(
            revision=revision,
            complete=complete,
            session_id=self._session_id,
            started_at=self._started_at,
            ended_at=self._ended_at if complete else None,
            agent_name=self._agent_name,
            room=self._room,
            participant_identity=self._participant,
            close_reason=self._close_reason,
            errors=tuple(self._errors or ()),
            collection_errors=self._collection_errors,
            user_turns=self._user_turns,
            agent_turns=len(self._reply_turns),
            signals=signals,
            evidence=evidence,
            tools=tuple(self._tools),
            usage=self._usage_rows(),
            reply_turns=tuple(self._reply_turns),
            latencies=tuple(None if c is None else tuple(c) for c in self._latencies),
            transcript=tuple(self._transcript) if self._transcript is not None else None,
            stages=ann.stage_history if ann is not None else (),
            notes=ann.notes if ann is not None else (),
            metadata=self._metadata or {},
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

    def _worker(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="signalroom-recorder"
            )
        return self._executor

    def _submit(self, record: SessionRecord) -> concurrent.futures.Future[None] | None:
        if self._sink is None:
            return None
        return self._worker().submit(self._deliver, record)

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
        if (
            self._final is not None
            or self._final_revision is not None
            or self._loop is None
            or self.checkpoint_interval_s is None
        ):
            return
        self.checkpoint()
        self._checkpoint_handle = self._loop.call_later(self.checkpoint_interval_s, self._tick)

    def checkpoint(self) -> None:
        """Hand an in-progress record to the sink now (built and delivered off the loop)."""
        if self._final is not None or self._final_revision is not None:
            return
        try:
            snap = self._snapshot(complete=False)
        except Exception:
            self._count_error("checkpoint")
            return
        if self._sink is None:
            return
        self._worker().submit(self._build_and_deliver, snap)

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


#: Each session event the recorder handles, and its handler.
_HANDLERS: tuple[tuple[str, Callable[[SessionRecorder, Any], None]], ...] = (
    ("conversation_item_added", SessionRecorder._on_item),
    ("function_tools_executed", SessionRecorder._on_tools),
    ("tool_execution_updated", SessionRecorder._on_tool_update),
    ("error", SessionRecorder._on_error),
    ("close", SessionRecorder._on_close),
)


def _agent_annotations(session: AgentSession[Any]) -> CallAnnotations | None:
    try:
        agent = session.current_agent
    except RuntimeError:  # not started yet, or already closed
        return None
    ann = getattr(agent, "annotations", None)
    return ann if isinstance(ann, CallAnnotations) else None
