"""What the DuckDB and PostgreSQL warehouses share: the SQL of every operation.

Statements are written once with ``%s`` placeholders (DuckDB's backend rewrites them to ``?``).
Bulk writes pass one array per column and ``unnest`` them server-side, which both databases do in
a single statement: far faster than ``executemany`` (DuckDB's costs about a millisecond a row).
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult
from signalroom.destinations.rows import (
    ANALYSIS,
    CHILD_TABLES,
    DELIVERIES,
    SESSION_FACTS,
    SESSIONS,
    ColumnType,
    Rows,
    Table,
    analysis_and_facts,
    columns_of,
    now_utc,
    session_rows,
)
from signalroom.destinations.schema import MIGRATIONS, MIGRATIONS_TABLE, TypeMap
from signalroom.destinations.warehouse import ApplyResult, DeliveryTask, Warehouse, retry_due
from signalroom.record import SessionRecord, decode_record

_IDS = "record_id IN (SELECT unnest(%s::TEXT[]))"


class SqlWarehouse(Warehouse):
    types: TypeMap
    #: Appended to reads that precede a write in the same transaction (row locks in PostgreSQL).
    lock_clause = ""
    json_text = "CAST({} AS TEXT)"

    # Dialect hooks.
    @abstractmethod
    def _connection(self) -> AbstractContextManager[Any]:
        """A migrated connection, closed (or returned to the pool) on exit."""

    @abstractmethod
    def _transaction(self, conn: Any) -> AbstractContextManager[Any]: ...

    @abstractmethod
    def _execute(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run ``sql`` (``%s`` placeholders); return an object with ``fetchall()``."""

    def _stored_revisions(self, conn: Any, ids: list[str]) -> dict[str, int] | None:
        """Stored revision of each of ``ids`` already stored, read before the upsert; None when
        the dialect's ``upsert_returning`` reports applied and replaced rows instead."""
        return None

    #: RETURNING clause of the upsert: the record_id and whether the row was freshly inserted.
    upsert_returning = ""

    # The newest-revision-wins rule, one statement for both databases.
    def _upsert_sessions(self, conn: Any, rows: list[tuple[Any, ...]]) -> tuple[set[str], set[str]]:
        """Write session rows whose revision is newer; return (applied, replaced)."""
        if not rows:
            return set(), set()
        stored = self._stored_revisions(conn, [r[0] for r in rows])
        sql = upsert_sql(self._values_of(SESSIONS)) + self.upsert_returning
        cursor = self._execute(conn, sql, columns_of(rows, len(SESSIONS.columns)))
        if stored is None:
            returned = cursor.fetchall()
            return {r[0] for r in returned}, {r[0] for r in returned if not r[1]}
        # the same rule as the statement's WHERE, on the revisions read in this transaction
        applied = {r[0] for r in rows if r[0] not in stored or stored[r[0]] < r[2]}
        return applied, applied & stored.keys()

    def _json_value(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def _values_of(self, table: Table) -> str:
        return self._values([k for _, k in table.columns], table.column_names)

    # Shared building blocks.
    def _values(self, kinds: Sequence[ColumnType], names: Sequence[str]) -> str:
        cols = ", ".join(
            f"unnest(%s::{self.types[k]}[]) AS {n}" for k, n in zip(kinds, names, strict=True)
        )
        return f"(SELECT {cols}) AS v"

    def _insert(self, conn: Any, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = table.column_names
        kinds = [k for _, k in table.columns]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT {', '.join('v.' + n for n in names)} FROM {self._values(kinds, names)}"
        )
        self._execute(conn, sql, columns_of(rows, len(names)))

    def _delete(self, conn: Any, tables: Sequence[Table], ids: Sequence[str]) -> None:
        if ids:
            for table in tables:
                self._execute(conn, f"DELETE FROM {table.name} WHERE {_IDS}", [list(ids)])

    def _migrate(self, conn: Any) -> None:
        self._execute(conn, MIGRATIONS_TABLE)
        done = {
            r[0] for r in self._execute(conn, "SELECT version FROM schema_migrations").fetchall()
        }
        for version, statements in MIGRATIONS:
            if version in done:
                continue
            for sql in statements(self.types):
                self._execute(conn, sql)
            self._execute(
                conn,
                "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                [version, now_utc()],
            )

    def schema_version(self) -> int:
        with self._connection() as conn:
            rows = self._execute(conn, "SELECT max(version) FROM schema_migrations").fetchall()
        return int(rows[0][0] or 0)

    # Warehouse operations.
    def apply_sync(
        self, batch: Sequence[AnalyzedSession], pending: Sequence[str] = ()
    ) -> ApplyResult:
        newest: dict[str, AnalyzedSession] = {}
        result = ApplyResult()
        for item in batch:
            held = newest.get(item.record_id)
            if held is None or item.record.revision > held.record.revision:
                if held is not None:
                    result.stale.append(held.record_id)
                newest[item.record_id] = item
            else:
                result.stale.append(item.record_id)
        # A fixed order keeps two writers of overlapping batches from deadlocking on row locks.
        items = sorted(newest.values(), key=lambda i: i.record_id)
        now = now_utc()
        rows = session_rows(items, now)
        with self._connection() as conn, self._transaction(conn):
            applied, replaced = self._upsert_sessions(conn, rows["sessions"])
            self._delete(conn, CHILD_TABLES, sorted(replaced))
            for table in CHILD_TABLES:
                self._insert(conn, table, [r for r in rows[table.name] if r[0] in applied])
            if pending and applied:
                self._set_pending(conn, [i for i in items if i.record_id in applied], pending, now)
        result.applied = [i.record_id for i in items if i.record_id in applied]
        result.stale += [i.record_id for i in items if i.record_id not in applied]
        return result

    def _set_pending(
        self, conn: Any, items: list[AnalyzedSession], pending: Sequence[str], now: datetime
    ) -> None:
        ids = [i.record_id for i in items]
        self._execute(
            conn,
            f"DELETE FROM deliveries WHERE {_IDS} AND destination IN (SELECT unnest(%s::TEXT[]))",
            [ids, list(pending)],
        )
        rows = [
            (i.record_id, dest, i.record.revision, "pending", 0, None, now)
            for i in items
            for dest in pending
        ]
        self._insert(conn, DELIVERIES, rows)

    def replace_analysis(self, items: Sequence[AnalyzedSession]) -> int:
        if not items:
            return 0
        ids = sorted({i.record_id for i in items})
        with self._connection() as conn, self._transaction(conn):
            current = dict(
                self._execute(
                    conn,
                    f"SELECT record_id, revision FROM sessions WHERE {_IDS}{self.lock_clause}",
                    [ids],
                ).fetchall()
            )
            keep = [i for i in items if current.get(i.record_id) == i.record.revision]
            rows: Rows = {}
            now = now_utc()
            for item in keep:
                analysis_and_facts(item, now, rows)
            self._delete(conn, (ANALYSIS, SESSION_FACTS), [i.record_id for i in keep])
            self._insert(conn, ANALYSIS, rows.get("analysis", []))
            self._insert(conn, SESSION_FACTS, rows.get("session_facts", []))
        return len(keep)

    def iter_records(
        self, since: datetime | None = None, page_size: int = 500
    ) -> Iterator[SessionRecord]:
        last = ""
        while True:
            sql = "SELECT record_id, record FROM sessions WHERE record_id > %s"
            params: list[Any] = [last]
            if since is not None:
                sql += " AND start_time >= %s"
                params.append(since)
            sql += " ORDER BY record_id LIMIT %s"
            params.append(page_size)
            # A connection per page: DuckDB's file stays free for other processes in between.
            with self._connection() as conn:
                page = self._execute(conn, sql, params).fetchall()
            for record_id, record in page:
                yield decode_record(self._json_value(record))
                last = record_id
            if len(page) < page_size:
                return

    def load_sessions(self, record_ids: Sequence[str]) -> list[AnalyzedSession]:
        if not record_ids:
            return []
        ids = list(record_ids)
        with self._connection() as conn:
            records = self._execute(
                conn, f"SELECT record_id, record FROM sessions WHERE {_IDS}", [ids]
            ).fetchall()
            analysis = self._execute(
                conn,
                f"SELECT record_id, analyzer, version, result FROM analysis WHERE {_IDS}",
                [ids],
            ).fetchall()
        results: dict[str, dict[str, AnalyzerResult]] = {}
        for rid, name, version, result in analysis:
            results.setdefault(rid, {})[name] = AnalyzerResult(
                name, version, self._json_value(result)
            )
        return [
            AnalyzedSession(decode_record(self._json_value(rec)), results.get(rid, {}))
            for rid, rec in records
        ]

    def delete_record(self, record_id: str) -> bool:
        with self._connection() as conn, self._transaction(conn):
            found = self._execute(
                conn, "SELECT record_id FROM sessions WHERE record_id = %s", [record_id]
            ).fetchall()
            self._delete(conn, (*CHILD_TABLES, DELIVERIES, SESSIONS), [record_id])
        return bool(found)

    def delete_by_email(self, email: str) -> list[str]:
        needle = email.strip().lower()
        if not needle:
            return []
        with self._connection() as conn, self._transaction(conn):
            candidates = self._execute(
                conn,
                f"SELECT record_id, record FROM sessions "
                f"WHERE lower({self.json_text.format('record')}) LIKE %s",
                ["%" + needle.replace("%", "").replace("_", "\\_") + "%"],
            ).fetchall()
            ids = [
                rid
                for rid, rec in candidates
                if _mentions_email(decode_record(self._json_value(rec)), needle)
            ]
            self._delete(conn, (*CHILD_TABLES, DELIVERIES, SESSIONS), ids)
        return ids

    def claim_deliveries(
        self,
        destinations: Sequence[str],
        *,
        max_attempts: int,
        retry_base_s: float,
        retry_max_s: float,
        pending_timeout_s: float,
        limit: int = 500,
    ) -> list[DeliveryTask]:
        if not destinations:
            return []
        now = now_utc()
        claimed: list[DeliveryTask] = []
        with self._connection() as conn, self._transaction(conn):
            rows = self._execute(
                conn,
                "SELECT record_id, destination, revision, status, attempts, updated_at "
                "FROM deliveries WHERE status IN ('failed', 'pending') AND attempts < %s "
                "AND destination IN (SELECT unnest(%s::TEXT[])) ORDER BY updated_at LIMIT %s",
                [max_attempts, list(destinations), limit],
            ).fetchall()
            for rid, dest, revision, status, attempts, updated in rows:
                if status == "failed":
                    due = retry_due(attempts, updated, now, retry_base_s, retry_max_s)
                else:  # pending for long: the process that was sending it died
                    due = (now - updated).total_seconds() >= pending_timeout_s
                if not due:
                    continue
                # Claim by compare-and-set on updated_at, so two services never resend one row.
                won = self._execute(
                    conn,
                    "UPDATE deliveries SET status = 'pending', updated_at = %s WHERE record_id = %s"
                    " AND destination = %s AND updated_at = %s AND status = %s RETURNING record_id",
                    [now, rid, dest, updated, status],
                ).fetchall()
                if won:
                    claimed.append(DeliveryTask(rid, dest, revision, attempts))
        return claimed

    def mark_deliveries(
        self,
        destination: str,
        entries: Sequence[tuple[str, int]],
        status: str,
        error: str | None = None,
        exhaust_attempts: int | None = None,
    ) -> None:
        if not entries:
            return
        ids = [e[0] for e in entries]
        revisions = [e[1] for e in entries]
        values = self._values(["text", "int"], ["rid", "rev"])
        with self._connection() as conn, self._transaction(conn):
            self._execute(
                conn,
                "UPDATE deliveries SET status = %s, "
                "attempts = CASE WHEN %s::INTEGER IS NULL THEN attempts + 1 ELSE %s::INTEGER END, "
                f"last_error = %s, updated_at = %s FROM {values} "
                "WHERE deliveries.destination = %s "
                "AND deliveries.record_id = v.rid AND deliveries.revision = v.rev",
                [
                    status,
                    exhaust_attempts,
                    exhaust_attempts,
                    error,
                    now_utc(),
                    ids,
                    revisions,
                    destination,
                ],
            )

    def count(self, table: str) -> int:
        if table not in {t.name for t in (SESSIONS, *CHILD_TABLES, DELIVERIES)}:
            raise ValueError(f"unknown table {table!r}")
        with self._connection() as conn:
            return int(self._execute(conn, f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def deliveries(self) -> list[tuple[str, str, int, str, int, str | None]]:
        with self._connection() as conn:
            rows = self._execute(
                conn,
                "SELECT record_id, destination, revision, status, attempts, last_error "
                "FROM deliveries ORDER BY record_id, destination",
            ).fetchall()
        return [tuple(r) for r in rows]


def upsert_sql(values: str) -> str:
    """The sessions upsert: insert, or replace a stored row only with a newer revision.

    ``INSERT … ON CONFLICT DO UPDATE … WHERE`` reads the same in DuckDB and PostgreSQL; each
    dialect appends its own ``RETURNING`` (or none) to learn which rows were written.
    """
    names = SESSIONS.column_names
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "record_id")
    return (
        f"INSERT INTO sessions ({', '.join(names)}) "
        f"SELECT {', '.join('v.' + n for n in names)} FROM {values} "
        f"ON CONFLICT (record_id) DO UPDATE SET {updates} "
        "WHERE excluded.revision > sessions.revision"
    )


def _mentions_email(record: SessionRecord, needle: str) -> bool:
    if (record.participant_identity or "").lower() == needle:
        return True
    return any((c.customer_email or "").lower() == needle for c in record.tool_calls)
