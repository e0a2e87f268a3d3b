"""``redis://host:6379/0?stream=NAME[&group=G][&maxlen=N][&lease=30][&max_bytes=N]``.

Redis Streams with a consumer group, through redis-py's asyncio client (``rediss://`` for TLS).

* publish: ``XADD`` per message in one non-transactional pipeline; confirmed when the
  pipeline returns. The stream and the group are created (``XGROUP CREATE … MKSTREAM``) on
  first use.
* consume: first reclaims entries idle longer than the lease (``XAUTOCLAIM``: a consumer that
  died without acking), then reads new ones (``XREADGROUP``). Delivery counts come from
  ``XPENDING``. The consumer name is unique per process.
* ack: ``XACK`` and ``XDEL`` in one ``MULTI``, so the stream holds only unfinished work;
  ``ack_many`` acks a whole batch the same way in one round trip (one ``XACK`` and one
  ``XDEL`` per ``ACK_CHUNK`` ids, all in one ``MULTI``) instead of one per message. Add
  ``keep_acked=1`` to keep acked entries (for several groups on one stream) and bound the
  stream with ``maxlen`` (approximate trimming; it also trims unread entries, so size it well
  above the backlog you expect).
* nack(delay): the entry stays pending (so it survives a crash of this consumer) and its idle
  time is set with ``XCLAIM … IDLE (lease - delay) JUSTID`` so reclaim picks it up after
  ``delay``. A delay longer than the lease is capped at the lease: set ``lease`` at least as
  long as the longest retry delay you use.
* dead_letter: ``XADD NAME.dlq`` with fields ``payload``, ``reason``, ``original_id`` and
  ``delivery_count``, then ``XACK``/``XDEL`` of the original, in one ``MULTI``.

Redis accepts values up to 512 MB; ``max_bytes`` (default 1 MiB) refuses larger envelopes so
one record cannot stall the stream.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis import exceptions as redis_errors

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportAuthError, TransportError
from signalroom.transports.base import Message, OutgoingMessage
from signalroom.urls import number_option, parse_url, redact_url

DEFAULT_STREAM = "signalroom.records"
DEFAULT_GROUP = "signalroom"
DEFAULT_MAX_BYTES = 1024 * 1024
_ID, _BODY = b"id", b"body"
#: Ids per XACK/XDEL of ``ack_many``: bounds one command's size while amortizing round trips.
ACK_CHUNK = 1_000


class RedisStreamsTransport:
    def __init__(
        self,
        url: str,
        *,
        stream: str = DEFAULT_STREAM,
        group: str = DEFAULT_GROUP,
        maxlen: int | None = None,
        lease_s: float = 30.0,
        max_message_bytes: int = DEFAULT_MAX_BYTES,
        keep_acked: bool = False,
    ) -> None:
        self.url = redact_url(url)
        self.stream = stream
        self.group = group
        self.maxlen = maxlen
        self.lease_ms = max(1, int(lease_s * 1000))
        self.max_message_bytes = max_message_bytes
        self.keep_acked = keep_acked
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._client = aioredis.Redis.from_url(
            _connection_url(url), socket_timeout=10.0, socket_connect_timeout=3.0
        )
        self._group_ready = False

    # -- protocol -------------------------------------------------------------------------
    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        for out in batch:
            if len(out.body) > self.max_message_bytes:
                raise PayloadTooLargeError(
                    f"message {out.id} is {len(out.body)} bytes, over the redis limit of "
                    f"{self.max_message_bytes} bytes (max_bytes in the queue URL)"
                )
        if not batch:
            return
        async with _errors("publish"):
            await self._ensure_group()
            pipe = self._client.pipeline(transaction=False)
            for out in batch:
                fields: dict[Any, Any] = {_ID: out.id, _BODY: out.body}
                if self.maxlen:
                    pipe.xadd(self.stream, fields, maxlen=self.maxlen, approximate=True)
                else:
                    pipe.xadd(self.stream, fields)
            await pipe.execute()

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        async with _errors("consume"):
            await self._ensure_group()
            while True:
                messages = await self._reclaim(max_messages)
                if len(messages) < max_messages:
                    remaining = deadline - time.monotonic()
                    # Short blocks so entries that become reclaimable are not left waiting.
                    block = None if messages or remaining <= 0 else min(remaining, 0.5)
                    messages += await self._read_new(max_messages - len(messages), block)
                if messages or time.monotonic() >= deadline:
                    return messages

    async def ack(self, message: Message) -> None:
        async with _errors("ack"):
            pipe = self._client.pipeline(transaction=True)
            pipe.xack(self.stream, self.group, message.handle)
            if not self.keep_acked:
                pipe.xdel(self.stream, message.handle)
            await pipe.execute()

    async def ack_many(self, messages: Sequence[Message]) -> None:
        """Ack a batch: per chunk of ids one ``MULTI`` with one ``XACK`` and one ``XDEL``."""
        handles = [m.handle for m in messages]
        if not handles:
            return
        async with _errors("ack"):
            pipe = self._client.pipeline(transaction=True)
            for start in range(0, len(handles), ACK_CHUNK):
                chunk = handles[start : start + ACK_CHUNK]
                pipe.xack(self.stream, self.group, *chunk)
                if not self.keep_acked:
                    pipe.xdel(self.stream, *chunk)
            await pipe.execute()

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        idle = max(0, self.lease_ms - int(delay_s * 1000))
        async with _errors("nack"):
            await self._client.xclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=0,
                message_ids=[message.handle],
                idle=idle,
                justid=True,
            )

    async def dead_letter(self, message: Message, reason: str) -> None:
        fields: dict[Any, Any] = {
            b"payload": message.body,
            b"reason": reason,
            b"original_id": message.id,
            b"delivery_count": message.delivery_count,
        }
        async with _errors("dead_letter"):
            pipe = self._client.pipeline(transaction=True)
            pipe.xadd(f"{self.stream}.dlq", fields)
            pipe.xack(self.stream, self.group, message.handle)
            pipe.xdel(self.stream, message.handle)
            await pipe.execute()

    async def close(self) -> None:
        await self._client.aclose()

    # -- extras ---------------------------------------------------------------------------
    async def check(self) -> str:
        """PING, then describe the stream (it may not exist before the first record)."""
        async with _errors("check"):
            await self._client.ping()
            length = await self._client.xlen(self.stream)
            dead = await self._client.xlen(f"{self.stream}.dlq")
        return f"stream {self.stream}: {length} entries, {dead} dead letters"

    # -- internals ------------------------------------------------------------------------
    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self._client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis_errors.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _reclaim(self, count: int) -> list[Message]:
        reply: Any = await self._client.xautoclaim(
            self.stream, self.group, self.consumer, min_idle_time=self.lease_ms, count=count
        )
        entries = [(eid, fields) for eid, fields in reply[1] if fields]
        if not entries:
            return []
        counts = await self._delivery_counts([eid for eid, _ in entries])
        return [_message(eid, fields, counts.get(eid, 2)) for eid, fields in entries]

    async def _read_new(self, count: int, block_s: float | None) -> list[Message]:
        block = None if block_s is None else max(1, int(block_s * 1000))
        reply: Any = await self._client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=count, block=block
        )
        if not reply:
            return []
        return [_message(eid, fields, 1) for eid, fields in reply[0][1] if fields]

    async def _delivery_counts(self, ids: list[bytes]) -> dict[bytes, int]:
        rows: Any = await self._client.xpending_range(
            self.stream,
            self.group,
            min=min(ids),
            max=max(ids),
            count=len(ids) * 4,
            consumername=self.consumer,
        )
        return {row["message_id"]: int(row["times_delivered"]) for row in rows}


def _message(entry_id: bytes, fields: dict[bytes, bytes], count: int) -> Message:
    """Whatever an entry holds becomes a message: its bytes are the service's to judge.

    Any client may ``XADD`` to the stream, so the fields are not trusted to be ours: an ``id``
    that is not UTF-8 is shown with backslash escapes, a missing ``body`` is empty (and is then
    dead-lettered by the service with the reason).
    """
    return Message(
        id=fields.get(_ID, entry_id).decode("utf-8", "backslashreplace"),
        body=fields.get(_BODY, b""),
        delivery_count=count,
        handle=entry_id,
        attributes={"redis_id": entry_id.decode()},
    )


@asynccontextmanager
async def _errors(operation: str) -> AsyncIterator[None]:
    """Map redis-py exceptions to the transport errors the outbox and service understand."""
    try:
        yield
    except (redis_errors.AuthenticationError, redis_errors.AuthorizationError) as exc:
        raise TransportAuthError(
            f"redis {operation}: {exc}", hint="check the user and password in queue_url"
        ) from exc
    except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
        raise TransportError(
            f"redis {operation}: {exc}", hint="is Redis running and reachable? check queue_url"
        ) from exc
    except redis_errors.RedisError as exc:
        raise TransportError(f"redis {operation}: {exc}") from exc


_OPTIONS = frozenset({"stream", "group", "maxlen", "lease", "max_bytes", "keep_acked"})
_EXAMPLE = "redis://127.0.0.1:6379/0?stream=signalroom.records"


def _connection_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def from_url(url: str) -> RedisStreamsTransport:
    kind = "queue URL"
    parsed = parse_url(url, kind=kind, authority="host", options=_OPTIONS, example=_EXAMPLE)
    db = parsed.path.strip("/") or "0"
    if not (db.isascii() and db.isdigit()):
        raise ConfigError(
            f"{kind} {parsed.shown}: database {parsed.path!r} must be a number like /0",
            hint=f"e.g. {_EXAMPLE}",
        )
    query = parsed.options
    maxlen = number_option(parsed, "maxlen", 0, kind=kind, whole=True)
    max_bytes = number_option(parsed, "max_bytes", DEFAULT_MAX_BYTES, kind=kind, whole=True)
    flag = query.get("keep_acked", "0").lower()
    if flag not in ("0", "1", "true", "false", "yes", "no", ""):
        raise ConfigError(
            f"{kind} {parsed.shown}: keep_acked={flag!r} must be 1 or 0", hint=f"e.g. {_EXAMPLE}"
        )
    return RedisStreamsTransport(
        url,
        stream=query.get("stream") or DEFAULT_STREAM,
        group=query.get("group") or DEFAULT_GROUP,
        maxlen=int(maxlen) or None,
        lease_s=number_option(parsed, "lease", 30.0, kind=kind),
        max_message_bytes=int(max_bytes),
        keep_acked=flag in ("1", "true", "yes"),
    )
