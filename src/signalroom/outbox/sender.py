"""One forwarding pass: pending versions → transport, marked sent only after the broker confirmed.

(:mod:`signalroom.outbox.background` runs passes on a thread of its own for the agent worker.)
Each batch is read in one query, published as one call (a pipeline for Redis), and its state
updated in one statement; the store holds every SQL statement.

Each batch is published with retries: ``tenacity`` supplies the exponential backoff with
jitter between tries. Every failed try counts one attempt against each record of the batch;
a record reaching ``OutboxSettings.max_attempts`` is parked with the last error. An envelope
larger than ``transport.max_message_bytes`` can never be sent and is parked at once, with the
reason ("too large for redis: 300 KB > 256 KB"), before any publish; a record whose schema
major this build does not know got its reason at append and was parked when it was ingested,
before any pass could read it as pending.

A forward stops at the first batch that still fails after its retries: the broker is
likely down, and the remaining records keep their attempts for the next pass.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from signalroom.config import OutboxSettings
from signalroom.errors import SignalroomError
from signalroom.transports.base import OutgoingMessage

if TYPE_CHECKING:
    import sqlite3

    from signalroom.transports.base import Transport


class Outbox(Protocol):
    """What a pass needs of the store (``signalroom.outbox.store.Outbox``), named here so
    this module does not import the store, which imports it."""

    @property
    def settings(self) -> OutboxSettings: ...

    def flush_buffer(self) -> bool: ...

    def pending_batch(self, after: int, size: int) -> list[sqlite3.Row]: ...

    def mark_sent(self, seqs: Sequence[int], at: float) -> None: ...

    def count_attempt(self, seqs: Sequence[int], error: str) -> None: ...

    def park(self, seq: int, reason: str) -> None: ...

    def park_exhausted(self, seqs: Sequence[int], error: str) -> int: ...


@dataclass(slots=True)
class ForwardResult:
    sent: int = 0
    parked: int = 0
    #: Records of a batch that failed this pass and stay pending (attempts counted).
    failed: int = 0
    last_error: str | None = None

    def add(self, other: ForwardResult) -> None:
        self.sent += other.sent
        self.parked += other.parked
        self.failed += other.failed
        self.last_error = other.last_error or self.last_error


async def forward(
    outbox: Outbox,
    transport: Transport,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    retries: int = 3,
) -> ForwardResult:
    """Send pending records in batches until none is left, ``max_batches`` or a failure."""
    size = batch_size or outbox.settings.batch_size
    result = ForwardResult()
    outbox.flush_buffer()
    after = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        rows = outbox.pending_batch(after, size)
        if not rows:
            break
        after = rows[-1]["seq"]
        batches += 1
        sendable = _park_unsendable(outbox, transport, rows, result)
        if not sendable:
            continue
        error = await _publish_with_retries(outbox, transport, sendable, retries)
        if error is None:
            outbox.mark_sent([row["seq"] for row in sendable], time.time())
            result.sent += len(sendable)
            continue
        result.last_error = error
        parked = _park_exhausted(outbox, sendable, error)
        result.parked += parked
        result.failed += len(sendable) - parked
        break
    return result


def _park_unsendable(
    outbox: Outbox, transport: Transport, rows: list[sqlite3.Row], result: ForwardResult
) -> list[sqlite3.Row]:
    sendable = []
    for row in rows:
        reason = unsendable_reason(row["payload"], transport)
        if reason is None:
            sendable.append(row)
            continue
        outbox.park(row["seq"], reason)
        result.parked += 1
    return sendable


def unsendable_reason(payload: bytes, transport: Transport) -> str | None:
    """Why a stored envelope cannot go to this transport, or None.

    Only the size is checked here: payloads were encoded from validated records at append
    (which also gives unknown schema majors their reason to be parked), so decoding each one
    again would double the cost of forwarding. A payload damaged on disk still reaches the
    consumer, which dead-letters it with the reason: nothing is dropped either way.
    """
    limit = transport.max_message_bytes
    if len(payload) > limit:
        scheme = urlsplit(transport.url).scheme or "the queue"
        return f"too large for {scheme}: {_kb(len(payload))} > {_kb(limit)}"
    return None


async def _publish_with_retries(
    outbox: Outbox, transport: Transport, rows: list[sqlite3.Row], retries: int
) -> str | None:
    """Publish one batch; return None when confirmed, else the last error."""
    batch = [OutgoingMessage(id=row["record_id"], body=row["payload"]) for row in rows]
    seqs = [row["seq"] for row in rows]
    # Retry in this call only while no record of the batch has used up its attempts.
    attempts = max(row["attempts"] for row in rows)

    def count_attempt(exc: BaseException) -> bool:
        nonlocal attempts
        outbox.count_attempt(seqs, _describe(exc))
        attempts += 1
        retryable = getattr(exc, "retryable", True) is not False
        return retryable and attempts < outbox.settings.max_attempts

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, retries)),
        # exponential backoff plus jitter, spelled the same in every tenacity release
        wait=wait_exponential(multiplier=0.2, max=5.0) + wait_random(0, 0.5),
        retry=retry_if_exception(count_attempt),
        reraise=False,
    )
    try:
        async for attempt in retrying:
            with attempt:
                await transport.publish(batch)
    except RetryError as exc:
        inner = exc.last_attempt.exception()
        return _describe(inner) if inner else "publish failed"
    except Exception as exc:  # not retryable: tenacity re-raised it after counting it
        return _describe(exc)
    return None


def _park_exhausted(outbox: Outbox, rows: list[sqlite3.Row], error: str) -> int:
    return outbox.park_exhausted([row["seq"] for row in rows], error)


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    hint = getattr(exc, "hint", None) if isinstance(exc, SignalroomError) else None
    return f"{text} ({hint})" if hint else text


def _kb(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def summary(result: ForwardResult) -> dict[str, Any]:
    return {
        "sent": result.sent,
        "parked": result.parked,
        "failed": result.failed,
        "last_error": result.last_error,
    }
