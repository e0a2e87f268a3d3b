"""The consumer: decode → validate → analyze → warehouse → ack → optional destinations.

One loop takes batches from the transport and hands each to a task; at most ``concurrency``
batches are in flight. A batch is acked only after the warehouse (the required destination)
accepted it; optional destinations are sent afterwards and fail alone (see ``delivery``).

Failures, by type (``errors.py``):

- a message that cannot be decoded or validated, or has an unknown schema major, is
  dead-lettered at once with the reason (retrying cannot fix it);
- a retryable warehouse failure is retried in place with backoff (tenacity), then the messages
  are nacked with a growing delay, and dead-lettered once ``delivery_count`` reaches
  ``max_attempts``;
- any failed write of a batch is retried record by record (one attempt each), so one poison
  record fails alone, whatever its error claims, and the rest are applied; when the first
  records all fail alike the warehouse is down and the rest are nacked without trying each.

Every failure counts an attempt (the broker's delivery count), so nothing loops forever; a
message is settled once, and an error after its ack never touches it again (``_Batch``).
Errors are classified by ``is_retryable`` alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from signalroom.analyzers import Analyzer, run_analyzers
from signalroom.config import ServiceSettings
from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.warehouse import ApplyResult, Warehouse
from signalroom.errors import SignalroomError, TransportError
from signalroom.record import SessionRecord
from signalroom.service.delivery import Deliverer
from signalroom.service.metrics import ServiceMetrics
from signalroom.transports.base import Message, Transport
from signalroom.transports.envelope import decode_message

log = logging.getLogger("signalroom.service")

#: Acks sent at once.
ACK_PARALLEL = 8
#: After a failed batch write, this many records failing alone with a retryable error in a
#: row, before any succeeded, mean the warehouse is down (see ``Service._one_by_one``).
OUTAGE_PROBES = 3
#: While running, a full garbage collection only after this many second-generation ones
#: (Python's default: 10). Batches in flight keep a few hundred thousand objects alive, and
#: every full collection walks them all: at the default a fifth of the service's time went
#: to it. Memory is still reclaimed: most objects are freed by reference counting, cycles by the
#: younger generations, and a full collection still runs every few million allocations.
GC_FULL_EVERY = 1_000


@dataclass(slots=True)
class ServiceStats:
    processed: int = 0
    applied: int = 0
    skipped_stale: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    delivered: int = 0
    delivery_failed: int = 0
    #: Wall-clock times (epoch seconds) of the first message taken and the last batch finished.
    first_message_at: float | None = None
    last_done_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def busy_s(self) -> float | None:
        if self.first_message_at is None or self.last_done_at is None:
            return None
        return self.last_done_at - self.first_message_at


class _Batch:
    """Which messages of a batch are settled (acked, nacked or dead-lettered)."""

    __slots__ = ("_settled",)

    def __init__(self) -> None:
        self._settled: set[int] = set()

    def settle(self, messages: Sequence[Message]) -> None:
        self._settled.update(id(m) for m in messages)

    def unsettled(self, messages: Sequence[Message]) -> list[Message]:
        return [m for m in messages if id(m) not in self._settled]


def is_retryable(exc: BaseException) -> bool:
    """The service's one rule: a ``SignalroomError`` says whether a retry can help; any other
    exception is retried too (it may be transient), its attempts counted like any other, so
    a deterministic one ends in the dead-letter queue after ``max_attempts`` deliveries.
    Decoding never raises one (``decode_message`` maps every error to ``InvalidRecordError``)."""
    if isinstance(exc, SignalroomError):
        return exc.retryable
    return True


def reason_of(exc: BaseException) -> str:
    """``Type: message`` on one line: control characters (a CR in a refused field's name) are
    escaped, so a reason reads the same in logs, stream fields and single-line headers."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(slots=True)
class _Item:
    message: Message
    record: SessionRecord
    published: datetime | None


class Service:
    def __init__(
        self,
        transport: Transport,
        warehouse: Warehouse,
        analyzers: Sequence[Analyzer],
        destinations: Sequence[Destination] = (),
        *,
        settings: ServiceSettings | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.transport = transport
        self.warehouse = warehouse
        self.analyzers = list(analyzers)
        self.settings = settings or ServiceSettings()
        self.metrics = metrics or ServiceMetrics()
        self.deliverer = Deliverer(warehouse, destinations, self.settings, self.metrics)
        self.stats = ServiceStats()
        self._stop = asyncio.Event()
        self._running = False
        self._last_poll: float | None = None

    # -- control ---------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Stop taking messages; batches in flight finish and are acked."""
        self._stop.set()

    def status(self) -> dict[str, Any]:
        return {
            "running": self._running,
            "queue": self.transport.url,
            "warehouse": self.warehouse.name,
            "last_poll_monotonic": self._last_poll,
            **self.stats.as_dict(),
        }

    async def run(self, *, until_idle: bool = False) -> ServiceStats:
        """Consume until :meth:`request_stop` (or, with ``until_idle``, an empty queue)."""
        s = self.settings
        slots = asyncio.Semaphore(s.concurrency)
        in_flight: set[asyncio.Task[None]] = set()
        last_work = time.monotonic()
        last_retry = time.monotonic()
        failing_since = 0.0
        self._running = True
        thresholds = relax_full_collections()
        try:
            while not self._stop.is_set():
                await slots.acquire()
                if self._stop.is_set():
                    slots.release()
                    break
                try:
                    messages = await self._consume()
                except SignalroomError as exc:
                    slots.release()
                    if not exc.retryable:
                        raise
                    failing_since = failing_since or time.monotonic()
                    # a long-running service waits for the broker to come back; a one-shot
                    # drain gives up with the error instead of hanging
                    if until_idle and time.monotonic() - failing_since > s.unreachable_s:
                        raise
                    log.warning("consume failed, retrying: %s", exc)
                    await self._sleep(min(s.retry_max_s, 1.0))
                    continue
                failing_since = 0.0
                self._last_poll = time.monotonic()
                if messages:
                    last_work = self._last_poll
                    if self.stats.first_message_at is None:
                        self.stats.first_message_at = time.time()
                    task = asyncio.create_task(self._run_batch(messages, slots))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    continue
                slots.release()
                now = time.monotonic()
                if self.deliverer.destinations and now - last_retry >= s.delivery_retry_interval_s:
                    last_retry = now
                    await self._retry_deliveries()
                if until_idle and not in_flight and now - last_work >= s.idle_s:
                    break
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
            if until_idle and self.deliverer.destinations:
                await self._retry_deliveries()
        finally:
            gc.set_threshold(*thresholds)
            self._running = False
        return self.stats

    async def _consume(self) -> list[Message]:
        """One consume call; an error the transport did not map (a broker client's own) is
        named as a retryable ``TransportError``, by the one rule of ``is_retryable``."""
        s = self.settings
        try:
            return await self.transport.consume(s.batch_size, s.poll_s)
        except SignalroomError:
            raise
        except Exception as exc:
            raise TransportError(
                f"queue {self.transport.url}: consume failed: {reason_of(exc)}",
                hint="check the broker; a running service keeps retrying",
            ) from exc

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _retry_deliveries(self) -> None:
        try:
            await self.deliverer.retry_pass()
        except Exception as exc:  # a retry pass must never stop the consumer
            log.warning("delivery retry pass failed: %s", exc)

    # -- one batch -------------------------------------------------------------------------
    async def _run_batch(self, messages: list[Message], slots: asyncio.Semaphore) -> None:
        self.metrics.in_flight.inc()
        try:
            async with self.warehouse.batch_in_flight():
                await self.process(messages)
        finally:
            self.stats.last_done_at = time.time()
            self.metrics.in_flight.dec()
            slots.release()

    async def process(self, messages: Sequence[Message]) -> None:
        """Process one batch: every message ends acked, nacked or dead-lettered, once.

        Whatever fails, only the messages not yet settled are touched: an error after an ack
        (delivery bookkeeping, a broker dropping mid-ack) never nacks what was acked.
        """
        batch = _Batch()
        try:
            await self._process(batch, messages)
        except Exception as exc:
            open_ = batch.unsettled(messages)
            log.error(
                "batch of %d messages failed (%d not yet settled): %s: %s",
                len(messages), len(open_), type(exc).__name__, exc,
            )  # fmt: skip
            await self._requeue(batch, open_, exc)

    async def _process(self, batch: _Batch, messages: Sequence[Message]) -> None:
        items: list[_Item] = []
        for msg in messages:
            try:
                attrs, record = decode_message(msg.body)
            except Exception as exc:  # decoding is a function of the bytes: retrying cannot help
                await self._dead_letter(batch, msg, exc)
                continue
            items.append(_Item(msg, record, _published(attrs)))
        if not items:
            return
        self._observe_lag(items)
        items, analyzed = await self._analyze_all(batch, items)
        if not items:
            return
        try:
            result = await self._apply(analyzed)
        except Exception as exc:
            if len(items) == 1:
                await self._fail(batch, items, exc)
            else:
                await self._one_by_one(batch, items, analyzed, exc)
            return
        await self._finish(batch, items, analyzed, result)

    async def _one_by_one(
        self,
        batch: _Batch,
        items: list[_Item],
        analyzed: list[AnalyzedSession],
        batch_error: BaseException,
    ) -> None:
        """After a failed batch write, write its records alone: a record the warehouse cannot
        take fails alone, whatever its error says. When the first ``OUTAGE_PROBES`` records
        all fail with a retryable error, the warehouse itself is down: the rest are nacked
        (an attempt counted) without trying each."""
        failed_in_a_row = 0
        for index, (item, one) in enumerate(zip(items, analyzed, strict=True)):
            if failed_in_a_row >= OUTAGE_PROBES and index == failed_in_a_row:
                await self._fail(batch, items[index:], batch_error)
                return
            try:
                result = await self._apply([one], attempts=1)
            except Exception as exc:
                failed_in_a_row += 1 if is_retryable(exc) else 0
                await self._fail(batch, [item], exc)
                continue
            await self._finish(batch, [item], [one], result)

    async def _analyze_all(
        self, batch: _Batch, items: list[_Item]
    ) -> tuple[list[_Item], list[AnalyzedSession]]:
        """Analyze every record; one whose analysis raises is dead-lettered alone."""
        try:
            return items, await asyncio.to_thread(self._analyze, [i.record for i in items])
        except Exception:
            log.warning("analysis of a batch failed; analyzing its records one by one")
        kept: list[_Item] = []
        analyzed: list[AnalyzedSession] = []
        for item in items:
            try:
                [one] = await asyncio.to_thread(self._analyze, [item.record])
            except Exception as exc:
                await self._dead_letter(batch, item.message, exc)
                continue
            kept.append(item)
            analyzed.append(one)
        return kept, analyzed

    def _analyze(self, records: list[SessionRecord]) -> list[AnalyzedSession]:
        return [AnalyzedSession(r, run_analyzers(r, self.analyzers)) for r in records]

    async def _apply(self, analyzed: list[AnalyzedSession], attempts: int = 0) -> ApplyResult:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            stop=stop_after_attempt(attempts or self.settings.warehouse_attempts),
            before_sleep=_log_retry,
            reraise=True,
        ):
            with attempt:
                result = await self.warehouse.apply(analyzed, self.deliverer.names)
        if self.warehouse.last_latency_s is not None:
            self.metrics.destination_latency.labels(self.warehouse.name).observe(
                self.warehouse.last_latency_s
            )
        return result

    async def _finish(
        self,
        batch: _Batch,
        items: list[_Item],
        analyzed: list[AnalyzedSession],
        result: ApplyResult,
    ) -> None:
        messages = [i.message for i in items]
        await self._ack(messages)
        batch.settle(messages)
        self.stats.processed += len(items)
        self.stats.applied += len(result.applied)
        self.stats.skipped_stale += len(result.stale)
        self.metrics.processed.labels("applied").inc(len(result.applied))
        self.metrics.processed.labels("stale").inc(len(result.stale))
        if result.stale:
            log.info("skipped %d stale records (a newer revision is stored)", len(result.stale))
        if self.deliverer.destinations and result.applied:
            applied = set(result.applied)
            fresh = {a.record_id: a for a in analyzed if a.record_id in applied}
            try:
                counts = await self.deliverer.send(list(fresh.values()))
            except Exception as exc:
                # The messages are acked and the warehouse holds pending delivery rows: the
                # retry pass sends them later. Never let this reach the batch's messages.
                log.warning("delivery after ack failed, left to the retry pass: %s", exc)
                return
            self.stats.delivered += counts["delivered"]
            self.stats.delivery_failed += counts["failed"]

    async def _ack(self, messages: Sequence[Message]) -> None:
        ack_many = getattr(self.transport, "ack_many", None)
        if ack_many is not None:
            await ack_many(messages)
        else:
            # Bounded: a broker client has a connection pool, and a batch may hold hundreds.
            for start in range(0, len(messages), ACK_PARALLEL):
                chunk = messages[start : start + ACK_PARALLEL]
                await asyncio.gather(*(self.transport.ack(m) for m in chunk))

    async def _fail(self, batch: _Batch, items: Sequence[_Item], exc: BaseException) -> None:
        self.metrics.failed.inc(len(items))
        log.warning("warehouse write failed for %d records: %s", len(items), reason_of(exc))
        for item in items:
            await self._retry_or_dead_letter(batch, item.message, exc)

    async def _retry_or_dead_letter(
        self, batch: _Batch, message: Message, exc: BaseException
    ) -> None:
        """The one rule for a failed message: retryable errors are retried until
        ``max_attempts`` deliveries, anything else is dead-lettered at once."""
        attempts = message.delivery_count
        if not is_retryable(exc):
            await self._dead_letter(batch, message, exc)
        elif attempts < self.settings.max_attempts:
            await self._nack(batch, message)
        else:
            reason = f"gave up after {attempts} attempts: {reason_of(exc)}"
            await self._dead_letter(batch, message, exc, reason)

    async def _nack(self, batch: _Batch, message: Message) -> None:
        """Nack with a growing delay. If the broker refuses even that, the message stays
        unsettled: its lease runs out and it is delivered again, the attempt counted."""
        s = self.settings
        delay = min(s.retry_max_s, s.retry_base_s * 2 ** max(0, message.delivery_count - 1))
        try:
            await self.transport.nack(message, delay)
        except Exception as exc:
            log.warning("could not nack %s, left to its lease: %s", message.id, reason_of(exc))
            return
        batch.settle([message])
        self.stats.redelivered += 1

    async def _requeue(
        self, batch: _Batch, messages: Sequence[Message], exc: BaseException
    ) -> None:
        """Settle what an unexpected failure left open by the same rule as any failure (an
        attempt counted); neither nack nor dead-letter raises (see ``_nack``)."""
        for msg in messages:
            await self._retry_or_dead_letter(batch, msg, exc)

    async def _dead_letter(
        self, batch: _Batch, message: Message, exc: BaseException, reason: str | None = None
    ) -> None:
        why = reason or f"{reason_of(exc)} (attempt {message.delivery_count})"
        log.warning("dead-lettering message %s: %s", message.id, why)
        try:
            await self.transport.dead_letter(message, why[:2000])
        except Exception as failure:
            # The broker failed this message's dead letter, not the others: retry it later.
            log.warning("could not dead-letter message %s: %s", message.id, reason_of(failure))
            await self._nack(batch, message)
            return
        batch.settle([message])
        self.stats.dead_lettered += 1
        self.metrics.dead_lettered.labels(type(exc).__name__).inc()

    def _observe_lag(self, items: list[_Item]) -> None:
        with contextlib.suppress(ValueError, OverflowError):  # a gauge never fails a batch
            self._set_lag(items)

    def _set_lag(self, items: list[_Item]) -> None:
        now = datetime.now(UTC)
        published = [i.published for i in items if i.published is not None]
        if published:
            self.metrics.queue_lag.set(max(0.0, (now - min(published)).total_seconds()))
        ends = [_aware(i.record.end_time) for i in items if i.record.end_time is not None]
        if ends:
            self.metrics.record_lag.set(max(0.0, (now - min(ends)).total_seconds()))


def relax_full_collections() -> tuple[int, int, int]:
    """Make full collections rare (see ``GC_FULL_EVERY``); return the thresholds to restore."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], GC_FULL_EVERY))
    return thresholds


def _log_retry(state: RetryCallState) -> None:
    """Say at once that the warehouse is failing (a held DuckDB file, a database restart)."""
    error = state.outcome.exception() if state.outcome is not None else None
    log.warning(
        "warehouse write failed (attempt %d), retrying: %s: %s",
        state.attempt_number,
        type(error).__name__,
        error,
    )


def _published(attrs: dict[str, Any]) -> datetime | None:
    raw = attrs.get("time")
    if not isinstance(raw, str):
        return None
    try:
        return _aware(datetime.fromisoformat(raw))
    except ValueError:
        return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
