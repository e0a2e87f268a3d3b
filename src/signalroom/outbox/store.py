"""The agent-side durable spool: one SQLite row per record version, in WAL mode.

Every SQL statement on the outbox's tables lives here or, for the layout's own statements, in
:mod:`signalroom.outbox.schema`; forwarding (:mod:`signalroom.outbox.sender`) and erasure call
methods of ``Outbox``.

``append`` is the only call the agent makes: one ``INSERT`` into the ``payloads`` journal in
its own transaction, nothing else. It is durable when it returns: WAL plus ``synchronous=FULL``
(the default) survives power loss, ``NORMAL`` survives a killed process but may lose the last
commits on power loss. It never raises: when the disk is unusable (full, read-only, missing,
locked) the record waits in a bounded memory buffer (:mod:`signalroom.outbox.buffer`) and is
written on the next ``append`` or ``forward``.

Every read and maintenance call (``pending_batch``, ``status``, ``replay``, ``purge``,
``newest_versions``, erasure, ``execute``) first ingests what was appended since (a version row
for each new payload, :data:`signalroom.outbox.schema.INGEST`), in the same transaction as its
read, so it sees every record appended before it started, from this object or another process.
A read with nothing new to ingest takes no write lock.

A newer ``revision`` of a ``record_id`` supersedes its older unsent versions; versions are
ingested in append order, so a stale revision appended after a newer one is stored as
``superseded`` and never sent over the newer, and of equal revisions the later append wins.
Version states: ``pending`` → ``sent`` (broker confirmed) or ``parked`` (with the reason);
``superseded`` for versions replaced before they were sent.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalroom.config import OutboxSettings
from signalroom.outbox import schema
from signalroom.outbox.buffer import MemoryBuffer, PendingRow, disk_error_kind
from signalroom.outbox.damage import open_checked
from signalroom.outbox.matching import Match, email_match
from signalroom.outbox.sender import ForwardResult, forward
from signalroom.record import known_major
from signalroom.transports.envelope import encode_record

if TYPE_CHECKING:
    from signalroom.record import SessionRecord
    from signalroom.transports.base import Transport

log = logging.getLogger("signalroom.outbox")

#: Payloads ingested per transaction when a read finds a longer backlog (7–9 ms a step on
#: a slow 2-core machine; see ``Outbox._ingest_step``).
INGEST_STEP = 500

# The newest version of every record; its state is the record's state.
_NEWEST = """
SELECT * FROM (
    SELECT v.*, ROW_NUMBER() OVER (
        PARTITION BY record_id ORDER BY revision DESC, seq DESC) AS rank
    FROM versions v
) WHERE rank = 1
"""
_PENDING = """
SELECT v.seq, v.record_id, v.revision, v.attempts, p.payload
FROM versions v JOIN payloads p USING (seq)
WHERE v.state = 'pending' AND v.seq > ? ORDER BY v.seq LIMIT ?
"""
_MARK_SENT = (
    "UPDATE versions SET state = 'sent', sent_at = ?, last_error = NULL "
    "WHERE +state = 'pending' AND seq IN (SELECT value FROM json_each(?))"
)
_COUNT_ATTEMPT = (
    "UPDATE versions SET attempts = attempts + 1, last_error = ? "
    "WHERE seq IN (SELECT value FROM json_each(?))"
)
_PARK = "UPDATE versions SET state = 'parked', last_error = ? WHERE seq = ? AND state = 'pending'"
_PARK_EXHAUSTED = (
    "UPDATE versions SET state = 'parked', "
    "last_error = 'gave up after ' || attempts || ' attempts: ' || ? "
    "WHERE +state = 'pending' AND attempts >= ? AND seq IN (SELECT value FROM json_each(?)) "
    "RETURNING seq"
)


def _unknown_major(version: str) -> str | None:
    """Why a record of ``version`` must be parked at once, or None when this build reads it."""
    if known_major(version):
        return None
    return f"schema_version {version!r} has a major this build does not know"


def _counts(hits: list[tuple[int, str]]) -> dict[str, int]:
    return {"versions": len(hits), "records": len({rid for _, rid in hits})}


def _matching(conn: sqlite3.Connection, match: Match) -> list[tuple[int, str]]:
    """(seq, record_id) of the versions whose stored envelope ``match`` accepts."""
    rows = conn.execute(
        "SELECT v.seq, v.record_id, v.created_at, p.payload "
        "FROM versions v JOIN payloads p USING (seq) ORDER BY v.seq"
    )
    return [(r[0], r[1]) for r in rows if match(bytes(r[3]), r[2])]


def _seq_list(seqs: Sequence[int]) -> str:
    # one bound JSON array instead of one statement (or one placeholder) per row
    return "[" + ",".join(str(int(s)) for s in seqs) + "]"


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    pending: int
    sent: int
    parked: int
    versions: int
    #: Age in seconds of the oldest pending record; ``None`` when nothing is pending.
    oldest_pending_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Outbox:
    """Thread-safe: one connection guarded by a lock (appends come from two threads)."""

    def __init__(self, path: Path, settings: OutboxSettings | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or OutboxSettings()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._buffer = MemoryBuffer(self.settings.memory_buffer)
        self.errors: Counter[str] = Counter()

    # -- the agent's call ---------------------------------------------------------------
    def append(self, record: SessionRecord) -> None:
        """Store one record version durably; never raises (see the module docstring)."""
        try:
            row = PendingRow(
                record_id=record.record_id,
                revision=record.revision,
                complete=record.complete,
                created_at=time.time(),
                payload=encode_record(record),
                # parked at once: no consumer of this build could read it
                parked_reason=_unknown_major(record.schema_version),
            )
        except Exception as exc:  # a record that cannot even be encoded is still counted
            self._count_error("encode", exc)
            return
        with self._lock:
            if len(self._buffer) and not self._flush_buffer_locked():
                self._buffer.add(row)
                return
            try:
                self._insert(self._connection(), row)
            except (sqlite3.Error, OSError) as exc:
                self._count_error(disk_error_kind(exc), exc)
                self._drop_connection()
                self._buffer.add(row)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def dropped_final(self) -> int:
        return self._buffer.dropped_final

    def flush_buffer(self) -> bool:
        """Write buffered versions to disk; True when the buffer is empty afterwards."""
        with self._lock:
            return self._flush_buffer_locked()

    # -- forwarding ---------------------------------------------------------------------
    async def forward(self, transport: Transport, **options: Any) -> ForwardResult:
        """Send pending newest versions: :func:`signalroom.outbox.sender.forward` (its options:
        ``batch_size``, ``max_batches``, ``retries``)."""
        return await forward(self, transport, **options)

    def pending_batch(self, after: int, size: int) -> list[sqlite3.Row]:
        """Pending versions after seq ``after``, oldest first, with their payloads."""
        return self.execute(_PENDING, (after, size))

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Run one statement in its own transaction, after ingesting new appends (for the CLI
        and tests)."""
        with self._transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def mark_sent(self, seqs: Sequence[int], at: float) -> None:
        """Mark versions sent, in one statement and without an fsync of their own.

        Losing a "sent" mark (power loss only; WAL keeps it across a process kill) means the
        record is sent again, which at-least-once delivery and idempotent stores absorb; the
        next durable append syncs the WAL, marks included. This keeps one fsync per append
        and none per forwarded batch.
        """
        with self._lock:
            try:
                with self._connected() as conn:
                    conn.execute("PRAGMA synchronous=NORMAL")
                    with conn:
                        conn.execute(_MARK_SENT, (at, _seq_list(seqs)))
            finally:
                if self._conn is not None:
                    self._conn.execute(f"PRAGMA synchronous={self.settings.synchronous}")

    def count_attempt(self, seqs: Sequence[int], error: str) -> None:
        """One more failed try for each version of a batch, with the error."""
        self._run(_COUNT_ATTEMPT, (error, _seq_list(seqs)))

    def park(self, seq: int, reason: str) -> None:
        log.warning("outbox: parked version seq=%d: %s", seq, reason)
        self._run(_PARK, (reason, seq))

    def park_exhausted(self, seqs: Sequence[int], error: str) -> int:
        """Park the versions that used up ``max_attempts``; return how many."""
        limit = self.settings.max_attempts
        parked = self._run(_PARK_EXHAUSTED, (error, limit, _seq_list(seqs)))
        if parked:
            log.warning(
                "outbox: parked %d records after %d attempts: %s", len(parked), limit, error
            )
        return len(parked)

    # -- erasure (``signalroom forget``) ------------------------------------------------------
    def count_matching(self, match: Match) -> dict[str, int]:
        """Versions (and distinct records) whose stored envelope ``match`` accepts."""
        with self._transaction() as conn:
            return _counts(_matching(conn, match))

    def erase_matching(self, match: Match) -> dict[str, int]:
        """Delete the versions (and payloads) ``match`` accepts; deleted bytes are zeroed and
        the WAL folded in and truncated, so no copy stays on disk.

        The match and the delete are one write transaction (after ingesting what was
        appended before it): a version appended meanwhile waits until the delete is
        committed, so it is never deleted unseen and the counts are what was deleted."""
        with self._lock:
            self._run("PRAGMA secure_delete = ON")
            with self._transaction(write=True) as conn:
                hits = _matching(conn, match)
                conn.execute(
                    "DELETE FROM versions WHERE seq IN (SELECT value FROM json_each(?))",
                    (_seq_list([seq for seq, _ in hits]),),
                )
            self._run("PRAGMA wal_checkpoint(TRUNCATE)")
        return _counts(hits)

    def count_email(self, email: str) -> dict[str, int]:
        """Versions of records naming exactly ``email`` (case and spaces ignored)."""
        return self.count_matching(email_match(email))

    def erase_email(self, email: str) -> dict[str, int]:
        return self.erase_matching(email_match(email))

    # -- reading and maintenance (CLI) ---------------------------------------------------
    def status(self) -> OutboxStatus:
        counts: Counter[str] = Counter()
        oldest: float | None = None
        with self._transaction() as conn:
            by_state = conn.execute(
                f"SELECT state, COUNT(*), MIN(created_at) FROM ({_NEWEST}) GROUP BY state"
            ).fetchall()
            versions = conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        for state, n, first in by_state:
            counts[state] = n
            if state == "pending":
                oldest = first
        age = None if oldest is None else round(max(0.0, time.time() - oldest), 3)
        return OutboxStatus(
            pending=counts["pending"],
            sent=counts["sent"],
            parked=counts["parked"],
            versions=versions,
            oldest_pending_s=age,
        )

    def replay(self, *, record_id: str | None = None, include_sent: bool = False) -> int:
        """Make parked (and with ``include_sent`` sent) newest versions pending again."""
        states = ("parked", "sent") if include_sent else ("parked", "parked")
        sql = (
            "UPDATE versions SET state = 'pending', attempts = 0, last_error = NULL, "
            f"sent_at = NULL WHERE seq IN (SELECT seq FROM ({_NEWEST}) WHERE state IN (?, ?)"
        )
        params: tuple[Any, ...] = states
        if record_id is not None:
            sql += " AND record_id = ?"
            params += (record_id,)
        with self._transaction(write=True) as conn:
            return len(conn.execute(sql + ") RETURNING seq", params).fetchall())

    def purge(self, *, older_than_s: float, include_parked: bool = False) -> dict[str, int]:
        cutoff = time.time() - older_than_s
        with self._transaction(write=True) as conn:

            def delete(where: str, params: tuple[Any, ...] = ()) -> int:
                sql = f"DELETE FROM versions WHERE {where} RETURNING seq"
                return len(conn.execute(sql, params).fetchall())

            return {
                "sent": delete("state = 'sent' AND sent_at < ?", (cutoff,)),
                "superseded": delete("state = 'superseded'"),
                "parked": delete("state = 'parked'") if include_parked else 0,
            }

    def newest_versions(self, state: str | None = None) -> list[sqlite3.Row]:
        """The newest version of every record (with its payload), oldest first."""
        sql = f"SELECT n.*, p.payload FROM ({_NEWEST}) n JOIN payloads p USING (seq)"
        params: tuple[Any, ...] = ()
        if state is not None:
            sql += " WHERE n.state = ?"
            params = (state,)
        return self.execute(sql + " ORDER BY n.seq", params)

    def write_test(self) -> None:
        """Prove the file can be opened and write-locked (used by ``signalroom doctor``)."""
        with self._connected() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    # -- internals ------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # a damaged file is moved aside (kept) and reported; see outbox/damage.py
            self._conn = open_checked(self.path, self._open)
        return self._conn

    def _open(self) -> sqlite3.Connection:
        """A new connection with the schema in place (no damage check: see _connection)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path,
            timeout=self.settings.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.settings.synchronous}")
            schema.ensure(conn)
        except sqlite3.Error:
            conn.close()
            raise
        # Back to implicit transactions so ``with conn:`` commits each statement group.
        conn.isolation_level = "DEFERRED"
        return conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def _connected(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; an SQLite error drops it (the next call reopens)."""
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error:
                self._drop_connection()
                raise

    @contextlib.contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction that first ingests the versions appended since the last one.

        It takes the write lock at ``BEGIN`` when it ingests or ``write`` says it will write
        after reading: a read transaction that turns into a write in WAL mode fails at once,
        without waiting, when another connection committed since it began. With nothing to
        ingest a read takes no write lock, so it never holds up the agent's appends. A backlog
        longer than ``INGEST_STEP`` is ingested first in steps (:meth:`_ingest_step`), the
        lock let go between them.
        """
        while True:
            with self._connected() as conn:
                backlog = conn.execute(schema.BACKLOG).fetchall()[0][0]
                if backlog > INGEST_STEP:
                    self._ingest_step(conn)
                    continue
                conn.execute("BEGIN IMMEDIATE" if backlog or write else "BEGIN DEFERRED")
                with conn:  # commits, or rolls back on any error
                    if backlog:
                        conn.execute(schema.INGEST, (-1,))
                    yield conn
                return

    @staticmethod
    def _ingest_step(conn: sqlite3.Connection) -> None:
        """Ingest the oldest ``INGEST_STEP`` payloads in a transaction of their own. The caller
        lets the lock go after each step, so an append from the agent's thread waits for one
        step (milliseconds), never for a whole backlog (thousands of records left by a
        process that never read them)."""
        conn.execute("BEGIN IMMEDIATE")
        with conn:
            conn.execute(schema.INGEST, (INGEST_STEP,))

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """One statement in its own transaction, without ingesting: for statements on versions
        already read (by seq) and for pragmas."""
        with self._connected() as conn, conn:
            return conn.execute(sql, params).fetchall()

    @staticmethod
    def _insert(conn: sqlite3.Connection, row: PendingRow) -> None:
        # One statement in one transaction, into the journal only: the version is stored (and
        # superseded or parked) by the next read's ingest, off the agent's path.
        with conn:
            conn.execute(
                schema.APPEND,
                (
                    row.record_id,
                    row.revision,
                    row.complete,
                    row.created_at,
                    row.parked_reason,
                    row.payload,
                ),
            )
        if row.parked_reason is not None:
            log.warning("outbox: parked %s: %s", row.record_id, row.parked_reason)

    def _flush_buffer_locked(self) -> bool:
        while (row := self._buffer.peek()) is not None:
            try:
                self._insert(self._connection(), row)
            except (sqlite3.Error, OSError) as exc:
                self._count_error(disk_error_kind(exc), exc)
                self._drop_connection()
                return False
            self._buffer.pop()
        return True

    def _count_error(self, kind: str, exc: BaseException) -> None:
        first = kind not in self.errors
        self.errors[kind] += 1
        if first:
            log.error(
                "outbox %s: %s: %s; records are held in memory (up to %d) and written "
                "when the disk recovers",
                self.path,
                kind,
                exc,
                self.settings.memory_buffer,
            )
