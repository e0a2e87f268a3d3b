"""PostgreSQL warehouse (psycopg 3): several services may write at once.

Competing writers are made safe by the database, not by us: sessions are written with
``INSERT ... ON CONFLICT (record_id) DO UPDATE ... WHERE sessions.revision < EXCLUDED.revision``,
which takes the row lock, so of two services holding the same record exactly one applies it and
the other sees no row returned and skips it; child rows are replaced in the same transaction.
Connections are kept in a small pool (one per concurrent batch).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from signalroom.destinations.schema import POSTGRES_TYPES
from signalroom.destinations.sql import SqlWarehouse
from signalroom.destinations.warehouse import postgres_url
from signalroom.errors import DestinationError

#: Any constant works; it only has to be the same in every service that migrates.
MIGRATION_LOCK_KEY = 0x5167_6E61_6C72


class PostgresWarehouse(SqlWarehouse):
    types = POSTGRES_TYPES
    rejected_errors = (psycopg.DataError, psycopg.IntegrityError)
    lock_clause = " FOR UPDATE"
    json_text = "{}::text"

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout_s: int = 5) -> None:
        super().__init__(url)
        self._conninfo = postgres_url(url)
        self._timeout = connect_timeout_s
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue(maxsize=pool_size)
        self._migrated = False
        self._migrate_lock = threading.Lock()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        conn = self._checkout()
        try:
            if not self._migrated:
                with self._migrate_lock:
                    if not self._migrated:
                        with conn.transaction():
                            conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY])
                            self._migrate(conn)
                        self._migrated = True
            yield conn
        except psycopg.OperationalError as exc:
            conn.close()
            raise DestinationError(f"postgresql: {exc}".splitlines()[0]) from exc
        except BaseException:
            conn.close()
            raise
        else:
            self._checkin(conn)

    def _checkout(self) -> psycopg.Connection[Any]:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            if not conn.closed:
                return conn
        try:
            return psycopg.connect(self._conninfo, autocommit=True, connect_timeout=self._timeout)
        except psycopg.OperationalError as exc:
            raise DestinationError(
                f"cannot connect to PostgreSQL: {exc}".splitlines()[0],
                hint="check warehouse_url and that the server is up",
            ) from None

    def _checkin(self, conn: psycopg.Connection[Any]) -> None:
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    @contextmanager
    def _transaction(self, conn: Any) -> Iterator[None]:
        with conn.transaction():
            yield

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(sql, list(params) if params else None)

    # Only written rows are returned; xmax = 0 tells a fresh insert from a replaced row
    # (whose child rows are replaced too).
    upsert_returning = " RETURNING record_id, (xmax = 0) AS inserted"

    async def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
