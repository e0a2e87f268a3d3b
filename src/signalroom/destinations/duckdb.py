"""DuckDB warehouse: the embedded default, one file, one writer process.

DuckDB refuses readers (the dashboard) while a writer holds the file, so the file is open only
while the service has work for it. The consumer marks each batch in flight
(:meth:`DuckDBWarehouse.batch_in_flight`, from decoding to acking); while another batch is in
flight or waiting to write, the connection stays open after a write, for at most ``HOLD_S``
seconds from opening, and it is closed as soon as no batch is in flight or waiting. Closing
checkpoints the write-ahead log into the file (with an fsync), which costs about as much as
writing the batch itself; a draining backlog pays it about once per second instead of once per
batch, and a service without backlog closes the file after every batch, as before.

The service also holds an advisory lock file next to the database (``<file>.service.lock``,
fcntl.flock): a second service on the same file stops with a clear message instead of fighting
for the file.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from signalroom.destinations.rows import SESSIONS, columns_of
from signalroom.destinations.schema import DUCKDB_TYPES
from signalroom.destinations.sql import SqlWarehouse, upsert_sql
from signalroom.destinations.warehouse import duckdb_path
from signalroom.errors import DestinationError, WarehouseLockedError

#: How long to wait for a reader (the dashboard) to let go of the file before giving up.
OPEN_TIMEOUT_S = 5.0
#: Longest time the file stays open for batches queued behind one another.
HOLD_S = 1.0


class DuckDBWarehouse(SqlWarehouse):
    types = DUCKDB_TYPES
    rejected_errors = (
        duckdb.ConversionException,
        duckdb.InvalidInputException,
        duckdb.ConstraintException,
    )
    json_text = "CAST({} AS VARCHAR)"

    def __init__(self, url: str, *, hold_s: float = HOLD_S) -> None:
        super().__init__(url)
        self.path = duckdb_path(url)
        self.lock_path = self.path.with_name(self.path.name + ".service.lock")
        self.hold_s = hold_s
        # One batch at a time within the process: DuckDB allows one writer anyway.
        self._mutex = threading.RLock()
        self._migrated = False
        self._lock_file: IO[str] | None = None
        # A connection kept open for batches to come (see the module docstring), how many
        # threads wait for the mutex and how many of the consumer's batches are in flight.
        self._held: duckdb.DuckDBPyConnection | None = None
        self._held_since = 0.0
        self._waiting = 0
        self._in_flight = 0
        self._waiting_lock = threading.Lock()

    def acquire_writer_lock(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            pid = handle.read().strip() or "?"
            handle.close()
            raise WarehouseLockedError(
                f"another signalroom service is writing {self.path} (pid {pid}); "
                "DuckDB allows one writer — use PostgreSQL to run several",
                hint="stop the other service, or set warehouse_url to a postgresql:// URL",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def release_writer_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._waiting_lock:
            self._waiting += 1
        try:
            self._mutex.acquire()
        finally:
            with self._waiting_lock:
                self._waiting -= 1
        try:
            conn, self._held = self._held, None
            if conn is None:
                conn = self._open()
                self._held_since = time.monotonic()
            keep = False
            try:
                if not self._migrated:
                    with self._transaction(conn):
                        self._migrate(conn)
                    self._migrated = True
                yield conn
                with self._waiting_lock:
                    keep = (self._waiting > 0 or self._in_flight > 0) and (
                        time.monotonic() - self._held_since < self.hold_s
                    )
            finally:
                if keep and self._held is None:
                    self._held = conn
                else:
                    conn.close()
        finally:
            self._mutex.release()

    @asynccontextmanager
    async def batch_in_flight(self) -> AsyncIterator[None]:
        with self._waiting_lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._waiting_lock:
                self._in_flight -= 1
            if self._held is not None:
                await asyncio.to_thread(self._release_if_idle)

    def _release_if_idle(self) -> None:
        # Under the writers' mutex: a batch that started meanwhile finds the connection held.
        with self._mutex:
            with self._waiting_lock:
                idle = self._in_flight == 0 and self._waiting == 0
            if idle:
                self._release_held()

    async def close(self) -> None:
        await asyncio.to_thread(self._release_held)

    def _release_held(self) -> None:
        with self._mutex:
            if self._held is not None:
                self._held.close()
                self._held = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # tenacity: a reader holding the file for a moment is normal; wait it out briefly.
            for attempt in Retrying(
                retry=retry_if_exception(_is_lock_conflict),
                wait=wait_exponential(multiplier=0.02, max=0.5),
                stop=stop_after_delay(OPEN_TIMEOUT_S),
                reraise=True,
            ):
                with attempt:
                    return duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise DestinationError(f"cannot open {self.path}: {exc}".splitlines()[0]) from None
            raise WarehouseLockedError(
                f"cannot open {self.path}: {exc}".splitlines()[0],
                hint="another process holds the DuckDB file; it is retried",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _transaction(self, conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
        conn.begin()
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(sql.replace("%s", "?"), list(params))

    def _stored_revisions(self, conn: Any, ids: list[str]) -> dict[str, int]:
        # DuckDB's RETURNING cannot tell an insert from an update, and costs about as much as
        # the insert itself: read the stored revisions instead (this process is the only
        # writer, and the read is in the upsert's transaction).
        found = conn.execute(
            "SELECT record_id, revision FROM sessions "
            "WHERE record_id IN (SELECT unnest(?::TEXT[]))",
            [ids],
        ).fetchall()
        return dict(found)

    def _upsert_sessions(self, conn: Any, rows: list[tuple[Any, ...]]) -> tuple[set[str], set[str]]:
        # This process is the only writer and reads the stored revisions in the write's
        # transaction, so records not stored yet take a plain INSERT: DuckDB's ON CONFLICT
        # path costs about twice as much per row. Stored ones keep the shared upsert and its
        # newer-revision-wins WHERE.
        if not rows:
            return set(), set()
        stored = self._stored_revisions(conn, [r[0] for r in rows])
        fresh = [r for r in rows if r[0] not in stored]
        newer = [r for r in rows if r[0] in stored and stored[r[0]] < r[2]]
        self._insert(conn, SESSIONS, fresh)
        if newer:
            self._execute(
                conn,
                upsert_sql(self._values_of(SESSIONS)),
                columns_of(newer, len(SESSIONS.columns)),
            )
        replaced = {r[0] for r in newer}
        return {r[0] for r in fresh} | replaced, replaced

    def exists(self) -> bool:
        return Path(self.path).exists()


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()
