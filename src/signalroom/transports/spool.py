"""``spool:///abs/dir[?queue=records&lease=30&max_bytes=4194304]``: the embedded durable queue.

A SQLite file (``DIR/spool.sqlite``, WAL) shared by separate processes: the agent or demo
writes, one or more ``signalroom service`` processes read. Semantics match the broker
backends:

* ``consume`` leases messages with one atomic ``UPDATE … RETURNING`` (SQLite serialises
  writers, so two consumer processes never lease the same message); a leased message becomes
  visible again when its lease (visibility timeout, ``lease`` seconds) expires unless acked:
  at-least-once across crashes. ``delivery_count`` counts leases.
* ``nack(delay)`` makes the message visible again after ``delay`` seconds.
* ``dead_letter`` moves the message, in one transaction, to the queue ``<queue>.dlq`` of the
  same file with the attribute ``reason`` (read it with ``spool:///dir?queue=records.dlq``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportError
from signalroom.transports.base import Message, OutgoingMessage
from signalroom.urls import number_option, parse_url

FILE_NAME = "spool.sqlite"
DEFAULT_QUEUE = "records"
T = TypeVar("T")
DEFAULT_MAX_BYTES = 4 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    queue          TEXT    NOT NULL,
    msg_id         TEXT    NOT NULL,
    body           BLOB    NOT NULL,
    attributes     TEXT,
    visible_at     REAL    NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    lease          TEXT,
    enqueued_at    REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at, seq);
"""

_LEASE = """
UPDATE messages SET visible_at = ?, delivery_count = delivery_count + 1, lease = ?
WHERE seq IN (
    SELECT seq FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY seq LIMIT ?
)
RETURNING seq, msg_id, body, attributes, delivery_count
"""


class SpoolTransport:
    def __init__(
        self,
        directory: Path,
        *,
        queue: str = DEFAULT_QUEUE,
        lease_s: float = 30.0,
        max_message_bytes: int = DEFAULT_MAX_BYTES,
        poll_s: float = 0.05,
    ) -> None:
        self.directory = directory
        self.queue = queue
        self.lease_s = lease_s
        self.max_message_bytes = max_message_bytes
        self.poll_s = poll_s
        self.url = f"spool://{directory}?queue={queue}"
        self._conn: sqlite3.Connection | None = None
        # One connection used from worker threads (asyncio.to_thread), one at a time.
        self._lock = threading.Lock()

    # -- protocol -------------------------------------------------------------------------
    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        for out in batch:
            if len(out.body) > self.max_message_bytes:
                raise PayloadTooLargeError(
                    f"message {out.id} is {len(out.body)} bytes, over the spool limit of "
                    f"{self.max_message_bytes} bytes"
                )
        now = time.time()
        rows = [(self.queue, out.id, out.body, now, now) for out in batch]
        await self._run(
            lambda c: c.executemany(
                "INSERT INTO messages (queue, msg_id, body, visible_at, enqueued_at) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        )

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        while True:
            messages = await self._run(lambda c: self._lease(c, max_messages))
            if messages or time.monotonic() >= deadline:
                return messages
            await asyncio.sleep(min(self.poll_s, max(0.0, deadline - time.monotonic())))

    async def ack(self, message: Message) -> None:
        seq, lease = message.handle
        await self._run(
            lambda c: c.execute("DELETE FROM messages WHERE seq = ? AND lease = ?", (seq, lease))
        )

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        seq, lease = message.handle
        visible = time.time() + delay_s
        await self._run(
            lambda c: c.execute(
                "UPDATE messages SET visible_at = ?, lease = NULL WHERE seq = ? AND lease = ?",
                (visible, seq, lease),
            )
        )

    async def dead_letter(self, message: Message, reason: str) -> None:
        seq, lease = message.handle
        attributes = {
            **message.attributes,
            "reason": reason,
            "original_id": message.id,
            "delivery_count": str(message.delivery_count),
        }
        now = time.time()
        dlq = f"{self.queue}.dlq"

        def move(c: sqlite3.Connection) -> None:
            deleted = c.execute(
                "DELETE FROM messages WHERE seq = ? AND lease = ? RETURNING seq", (seq, lease)
            ).fetchall()
            if deleted:
                c.execute(
                    "INSERT INTO messages (queue, msg_id, body, attributes, visible_at, "
                    "enqueued_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        dlq,
                        message.id,
                        message.body,
                        json.dumps(attributes),
                        now,
                        now,
                    ),
                )

        await self._run(move)

    async def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- extras ---------------------------------------------------------------------------
    async def check(self) -> str:
        """Open the file and take the write lock briefly; describe the queue."""

        def probe(c: sqlite3.Connection) -> str:
            ready, total = c.execute(
                "SELECT SUM(visible_at <= ?), COUNT(*) FROM messages WHERE queue = ?",
                (time.time(), self.queue),
            ).fetchone()
            dead = c.execute(
                "SELECT COUNT(*) FROM messages WHERE queue = ?", (f"{self.queue}.dlq",)
            ).fetchone()[0]
            return f"queue {self.queue}: {total} messages ({ready or 0} ready), {dead} dead letters"

        return await self._run(probe)

    # -- internals ------------------------------------------------------------------------
    def _lease(self, c: sqlite3.Connection, max_messages: int) -> list[Message]:
        now = time.time()
        token = uuid.uuid4().hex
        rows = c.execute(
            _LEASE, (now + self.lease_s, token, self.queue, now, max_messages)
        ).fetchall()
        rows.sort(key=lambda r: r[0])
        return [
            Message(
                id=msg_id,
                body=bytes(body),
                delivery_count=count,
                handle=(seq, token),
                attributes=json.loads(attrs) if attrs else {},
            )
            for seq, msg_id, body, attrs, count in rows
        ]

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self._run_sync, work)

    def _run_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                conn = self._connection()
                with conn:
                    return work(conn)
            except sqlite3.Error as exc:
                self._drop()
                raise TransportError(
                    f"spool {self.directory / FILE_NAME}: {exc}",
                    hint="check that the spool folder exists and is writable",
                ) from exc
            except OSError as exc:
                raise TransportError(f"spool {self.directory}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.directory / FILE_NAME,
                timeout=10.0,
                isolation_level=None,
                check_same_thread=False,
            )
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.executescript(_SCHEMA)
            except sqlite3.Error:
                conn.close()
                raise
            # BEGIN IMMEDIATE for every unit of work: take the write lock up front so two
            # processes never both read a message as free before one of them updates it.
            conn.isolation_level = "IMMEDIATE"
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_OPTIONS = frozenset({"queue", "lease", "max_bytes"})


def from_url(url: str) -> SpoolTransport:
    kind = "queue URL"
    parsed = parse_url(
        url, kind=kind, authority="none", options=_OPTIONS, example="spool:///srv/signalroom/spool"
    )
    if not parsed.path or not os.path.isabs(parsed.path):
        raise ConfigError(
            f"spool URL {parsed.shown} needs an absolute folder path",
            hint="use spool:///absolute/path/to/folder",
        )
    return SpoolTransport(
        Path(parsed.path),
        queue=parsed.options.get("queue") or DEFAULT_QUEUE,
        lease_s=number_option(parsed, "lease", 30.0, kind=kind),
        max_message_bytes=int(
            number_option(parsed, "max_bytes", DEFAULT_MAX_BYTES, kind=kind, whole=True)
        ),
    )
