"""Read-only access to the warehouse, one short connection per page.

DuckDB lets a single process hold a database file, and while the service writes a batch no
other process can open it, not even read-only. The service therefore opens the file only for
the length of a batch; the dashboard opens it read-only for the few queries of one page, closes
it, and retries with bounded exponential backoff when it finds the file locked
(:class:`~signalroom.errors.WarehouseLockedError` once the budget is spent, shown as 503).

PostgreSQL sessions start with ``default_transaction_read_only=on``, so a query that tries to
write fails in the server whatever the SQL says.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from signalroom.errors import ConfigError, WarehouseLockedError

Dialect = Literal["duckdb", "postgres"]
Row = dict[str, Any]

#: Total time one page waits for the DuckDB writer before answering 503.
LOCK_BUDGET_S = 3.0


class Reader(Protocol):
    dialect: Dialect

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Row]:
        """Rows fetched ``size`` at a time, for exports larger than memory."""
        ...


class WarehouseMissing(Exception):
    """The warehouse has no tables yet (no session was written): pages show an empty state."""


@dataclass(frozen=True, slots=True)
class WarehouseTarget:
    url: str
    dialect: Dialect
    path: Path | None = None

    @property
    def label(self) -> str:
        """A short name for page headers: the file name, or the database name."""
        if self.path is not None:
            return self.path.name
        return urlsplit(self.url).path.strip("/") or "postgresql"

    @property
    def display(self) -> str:
        """Where the data comes from, without any password in the URL."""
        if self.path is not None:
            return str(self.path)
        parts = urlsplit(self.url)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"

    @classmethod
    def parse(cls, url: str) -> WarehouseTarget:
        scheme = urlsplit(url).scheme
        if scheme == "duckdb":
            # The writer's own parsing, so both sides always agree on the file.
            from signalroom.destinations.warehouse import duckdb_path

            return cls(url=url, dialect="duckdb", path=duckdb_path(url))
        if scheme in ("postgresql", "postgres"):
            from signalroom.destinations.warehouse import postgres_url

            return cls(url=postgres_url(url), dialect="postgres")  # refused if malformed
        raise ConfigError(
            f"unsupported warehouse URL scheme {scheme!r} in {url!r}",
            hint="use duckdb:///path/warehouse.duckdb or postgresql://user@host/db",
        )


class _DuckReader:
    dialect: Dialect = "duckdb"

    def __init__(self, con: Any) -> None:
        self._con = con

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self._con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Row]:
        cur = self._con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        while batch := cur.fetchmany(size):
            yield from (dict(zip(names, row, strict=True)) for row in batch)


class _PgReader:
    dialect: Dialect = "postgres"

    def __init__(self, con: Any) -> None:
        self._con = con

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._con.cursor() as cur:
            cur.execute(_pg_placeholders(sql), list(params))
            if cur.description is None:
                return []
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Row]:
        # A named (server-side) cursor keeps the result in PostgreSQL until fetched.
        with self._con.cursor(name="signalroom_export") as cur:
            cur.execute(_pg_placeholders(sql), list(params))
            while batch := cur.fetchmany(size):
                names = [d.name for d in cur.description]
                yield from (dict(zip(names, row, strict=True)) for row in batch)


def _pg_placeholders(sql: str) -> str:
    """DuckDB's ``?`` placeholders as psycopg's ``%s``; a ``?`` in a quoted literal stays."""
    parts = sql.replace("%", "%%").split("'")
    parts[::2] = [p.replace("?", "%s") for p in parts[::2]]
    return "'".join(parts)


@contextmanager
def open_reader(target: WarehouseTarget, *, budget_s: float = LOCK_BUDGET_S) -> Iterator[Reader]:
    """A read-only connection for one page; closed on exit so the writer can take the file."""
    if target.dialect == "duckdb":
        with _duck(target, budget_s) as reader:
            yield reader
    else:
        with _postgres(target) as pg:
            yield pg


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


@contextmanager
def _duck(target: WarehouseTarget, budget_s: float) -> Iterator[Reader]:
    import duckdb

    assert target.path is not None
    if not target.path.exists():
        raise WarehouseMissing(f"no warehouse file at {target.path}")
    deadline = time.monotonic() + budget_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(target.path), read_only=True)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseLockedError(
                    f"the warehouse {target.path} stayed locked by its writer for {budget_s:g} s",
                    hint="the service holds the file only while writing a batch; reload shortly",
                ) from None
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.4)
    try:
        con.execute("SET enable_progress_bar = false")
        _require_tables(
            con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'session_facts'"
        )
        yield _DuckReader(con)
    finally:
        con.close()


@contextmanager
def _postgres(target: WarehouseTarget) -> Iterator[Reader]:
    import psycopg

    with psycopg.connect(
        target.url, options="-c default_transaction_read_only=on", connect_timeout=5
    ) as con:
        con.read_only = True
        _require_tables(
            con.cursor(),
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'session_facts' "
            "AND table_schema = ANY(current_schemas(false))",
        )
        yield _PgReader(con)


def _require_tables(con: Any, sql: str) -> None:
    row = con.execute(sql).fetchone()
    if not row or not row[0]:
        raise WarehouseMissing("the warehouse has no session_facts table yet")
