"""Versioned warehouse migrations, generated from the column specs in ``rows``.

Each migration is a version number and a function from the dialect's type names to statements.
A warehouse records applied versions in ``schema_migrations`` and runs only the newer ones, in
order, in one transaction (PostgreSQL also takes an advisory lock, so two services starting at
once do not race). Add a migration by appending to :data:`MIGRATIONS`; never edit a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from signalroom.destinations.rows import ALL_TABLES, ColumnType, Table

TypeMap = Mapping[ColumnType, str]

DUCKDB_TYPES: TypeMap = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "double": "DOUBLE",
    "ts": "TIMESTAMP",
    "date": "DATE",
    "json": "JSON",
}
POSTGRES_TYPES: TypeMap = {
    "text": "TEXT",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "double": "DOUBLE PRECISION",
    "ts": "TIMESTAMP",
    "date": "DATE",
    "json": "JSONB",
}

MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"""


def create_table(table: Table, types: TypeMap) -> str:
    cols = [f"{name} {types[kind]}" for name, kind in table.columns]
    if table.primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(cols)})"


def _v1(types: TypeMap) -> list[str]:
    statements = [create_table(t, types) for t in ALL_TABLES]
    if types is POSTGRES_TYPES:
        # DuckDB scans its column store fast enough without these; PostgreSQL needs them for the
        # per-record deletes and the dashboard's lookups.
        statements += [
            f"CREATE INDEX IF NOT EXISTS {t}_record_id ON {t} (record_id)"
            for t in ("signals", "tool_calls", "turns")
        ]
        statements += [
            "CREATE INDEX IF NOT EXISTS session_facts_day ON session_facts (day)",
            "CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, destination)",
        ]
    return statements


MIGRATIONS: list[tuple[int, Callable[[TypeMap], list[str]]]] = [(1, _v1)]
LATEST = MIGRATIONS[-1][0]
