"""DuckDB warehouse: the embedded default, one file, one writer process.

The file is opened only for the length of one batch and closed right after, so the dashboard can
open it read-only between batches (DuckDB refuses readers while a writer holds it). The service
also holds an advisory lock file next to the database (``<file>.service.lock``, fcntl.flock): a
second service on the same file stops with a clear message instead of fighting for the file.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import duckdb
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from signalroom.destinations.rows import SESSIONS
from signalroom.destinations.schema import DUCKDB_TYPES
from signalroom.destinations.sql import SqlWarehouse
from signalroom.destinations.warehouse import duckdb_path
from signalroom.errors import DestinationError, WarehouseLockedError

#: How long to wait for a reader (the dashboard) to let go of the file before giving up.
OPEN_TIMEOUT_S = 5.0


class DuckDBWarehouse(SqlWarehouse):
    types = DUCKDB_TYPES
    rejected_errors = (
        duckdb.ConversionException,
        duckdb.InvalidInputException,
        duckdb.ConstraintException,
    )
    json_text = "CAST({} AS VARCHAR)"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.path = duckdb_path(url)
        self.lock_path = self.path.with_name(self.path.name + ".service.lock")
        # One batch at a time within the process: DuckDB allows one writer anyway.
        self._mutex = threading.RLock()
        self._migrated = False
        self._lock_file: IO[str] | None = None

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
        with self._mutex:
            conn = self._open()
            try:
                if not self._migrated:
                    with self._transaction(conn):
                        self._migrate(conn)
                    self._migrated = True
                yield conn
            finally:
                conn.close()

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

    def _upsert_sessions(self, conn: Any, rows: list[tuple[Any, ...]]) -> tuple[set[str], set[str]]:
        if not rows:
            return set(), set()
        ids = [r[0] for r in rows]
        stored = dict(
            conn.execute(
                "SELECT record_id, revision FROM sessions "
                "WHERE record_id IN (SELECT unnest(?::TEXT[]))",
                [ids],
            ).fetchall()
        )
        fresh = [r for r in rows if r[0] not in stored or stored[r[0]] < r[2]]
        replaced = [r[0] for r in fresh if r[0] in stored]
        self._delete(conn, [SESSIONS], replaced)
        self._insert(conn, SESSIONS, fresh)
        return {r[0] for r in fresh}, set(stored)

    def exists(self) -> bool:
        return Path(self.path).exists()


def _is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()
