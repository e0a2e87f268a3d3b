"""PostgreSQL warehouse (psycopg 3): several services may write at once.

Competing writers are made safe by the database, not by us: sessions are written with
``INSERT ... ON CONFLICT (record_id) DO UPDATE ... WHERE sessions.revision < EXCLUDED.revision``,
which takes the row lock, so of two services holding the same record exactly one applies it and
the other sees no row returned and skips it; child rows are replaced in the same transaction.
Connections are kept in a small pool (one per concurrent batch): psycopg_pool's
``ConnectionPool`` opens them on demand, replaces broken ones and bounds the wait for one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from signalroom.destinations.schema import POSTGRES_TYPES
from signalroom.destinations.sql import SqlWarehouse
from signalroom.destinations.warehouse import (
    READ_LOCK_BUDGET_S,
    Reader,
    Row,
    WarehouseMissing,
    parse_postgres_url,
)
from signalroom.errors import DestinationError
from signalroom.urls import number_option

#: Any constant works; it only has to be the same in every service that migrates.
MIGRATION_LOCK_KEY = 0x5167_6E61_6C72


class PostgresWarehouse(SqlWarehouse):
    types = POSTGRES_TYPES
    rejected_errors = (psycopg.DataError, psycopg.IntegrityError)
    lock_clause = " FOR UPDATE"
    json_text = "{}::text"

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout_s: int = 5) -> None:
        super().__init__(url)
        parsed = parse_postgres_url(url)
        self._conninfo = url
        # libpq's connect_timeout in the URL (0: no bound) also bounds the wait for a pooled
        # connection, so a warehouse that is down fails each write as quickly as the URL asks
        given = number_option(
            parsed, "connect_timeout", 0, kind="warehouse URL", whole=True, low_inclusive=True
        )
        self._timeout = int(given) or connect_timeout_s
        self._pool_size = pool_size
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._pool_lock = threading.Lock()
        self._migrated = False
        self._migrate_lock = threading.Lock()

    def _open_pool(self) -> ConnectionPool[psycopg.Connection[Any]]:
        # A closed ConnectionPool cannot be reopened: a warehouse used again after close()
        # gets a new one.
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self._conninfo,
                    min_size=0,
                    max_size=self._pool_size,
                    kwargs={"autocommit": True, "connect_timeout": self._timeout},
                    timeout=self._timeout,
                    name="signalroom-warehouse",
                    open=False,
                )
                self._pool.open()
            return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._open_pool().connection() as conn:
                if not self._migrated:
                    with self._migrate_lock:
                        if not self._migrated:
                            with conn.transaction():
                                conn.execute(
                                    "SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY]
                                )
                                self._migrate(conn)
                            self._migrated = True
                yield conn
        except PoolTimeout:
            raise DestinationError(
                f"cannot connect to PostgreSQL within {self._timeout}s",
                hint="check warehouse_url and that the server is up",
            ) from None
        except psycopg.OperationalError as exc:
            raise DestinationError(f"postgresql: {exc}".splitlines()[0]) from exc

    @contextmanager
    def _transaction(self, conn: Any) -> Iterator[None]:
        with conn.transaction():
            yield

    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        return conn.execute(sql, list(params) if params else None)

    # Only written rows are returned; xmax = 0 tells a fresh insert from a replaced row
    # (whose child rows are replaced too).
    upsert_returning = " RETURNING record_id, (xmax = 0) AS inserted"

    # -- reading back (the dashboard) -----------------------------------------------------
    @contextmanager
    def reader(self, budget_s: float = READ_LOCK_BUDGET_S) -> Iterator[Reader]:
        """A session started read-only (``default_transaction_read_only``): a query that tries
        to write fails in the server whatever its SQL says."""
        with psycopg.connect(
            self._conninfo,
            options="-c default_transaction_read_only=on",
            connect_timeout=self._timeout,
        ) as conn:
            conn.read_only = True
            found = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = "
                "'session_facts' AND table_schema = ANY(current_schemas(false))"
            ).fetchone()
            if not found or not found[0]:
                raise WarehouseMissing("the warehouse has no session_facts table yet")
            yield _PgReader(conn)

    async def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


class _PgReader:
    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._conn.cursor() as cur:
            cur.execute(pg_placeholders(sql), list(params))
            if cur.description is None:
                return []
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Row]:
        # A named (server-side) cursor keeps the result in PostgreSQL until fetched.
        with self._conn.cursor(name="signalroom_export") as cur:
            cur.execute(pg_placeholders(sql), list(params))
            while batch := cur.fetchmany(size):
                names = [d.name for d in cur.description or ()]
                yield from (dict(zip(names, row, strict=True)) for row in batch)


def pg_placeholders(sql: str) -> str:
    """DuckDB's ``?`` placeholders as psycopg's ``%s``; a ``?`` in a quoted literal stays."""
    parts = sql.replace("%", "%%").split("'")
    parts[::2] = [p.replace("?", "%s") for p in parts[::2]]
    return "'".join(parts)
