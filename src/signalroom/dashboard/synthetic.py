"""Bulk synthetic warehouse data for benchmarks and screenshots.

Rows are generated inside DuckDB with ``INSERT ... SELECT ... FROM range(n)``, so a million
sessions take seconds instead of the minutes a Python loop would. Values are derived from
``hash(i)``, which makes a run reproducible without seeding a random generator.

Tables come from the warehouse's own migrations (``signalroom.destinations``), so the generator
fills exactly the schema the service writes.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from signalroom.signals.model import INDUSTRIES as SCHEMA_INDUSTRIES

#: The most common industries of real calls (the first twelve labels of the schema).
INDUSTRIES = SCHEMA_INDUSTRIES[:12]
INTEGRATIONS = ("salesforce", "hubspot", "api", "google_drive", "slack", "zapier", "dropbox")


def _create_schema(path: Path) -> None:
    """Create the tables with the warehouse's own versioned migrations (run on first open)."""
    from signalroom.destinations.duckdb import DuckDBWarehouse

    DuckDBWarehouse(f"duckdb://{path.resolve()}").schema_version()


def _u(i: str, salt: int) -> str:
    """A uniform number in [0, 1) derived from row ``i`` and ``salt`` (SQL expression)."""
    return f"((hash({i} * 1000003 + {salt}) % 1000000) / 1000000.0)"


def generate(
    path: Path,
    n: int,
    *,
    days: int = 90,
    end: date | None = None,
    with_records: bool = True,
) -> dict[str, Any]:
    """Fill the DuckDB warehouse at ``path`` with ``n`` synthetic sessions ending at ``end``.

    ``with_records=False`` skips the per-session JSON record (the overview never reads it),
    which halves the time for benchmark-sized data.
    """
    if n < 1 or days < 1:
        raise ValueError("n and days must be positive")
    end = end or date.today()
    start = end - timedelta(days=days - 1)
    _create_schema(path)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        industries = "[" + ", ".join(f"'{v}'" for v in INDUSTRIES) + "]"
        integrations = "[" + ", ".join(f"'{v}'" for v in INTEGRATIONS) + "]"
        # One staging row per session; every table below is projected from it.
        con.execute(
            f"""
            CREATE TEMP TABLE synth AS
            WITH base AS (
              SELECT i,
                'synthetic-' || lpad(CAST(i AS VARCHAR), 8, '0') AS record_id,
                'room_' || lpad(CAST(i AS VARCHAR), 8, '0') AS session_id,
                TIMESTAMP '{start.isoformat()}'
                  + to_seconds(CAST(floor({_u("i", 1)} * {days} * 86400) AS BIGINT))
                  AS start_time,
                {industries}[1 + CAST(floor(pow({_u("i", 2)}, 1.6) * {len(INDUSTRIES)})
                  AS INTEGER)] AS industry,
                ['high', 'medium', 'low', NULL][1 + CAST(floor({_u("i", 3)} * 4) AS INTEGER)]
                  AS urgency,
                CAST(1 + floor(pow({_u("i", 4)}, 3) * 400) AS INTEGER) AS team_size,
                round(20 + pow({_u("i", 5)}, 2) * 5000) AS monthly_volume,
                round(100 * (0.15 + 0.8 * pow({_u("i", 6)}, 0.9)), 1) AS score,
                {_u("i", 7)} AS booked_draw,
                {_u("i", 8)} AS abandon_draw,
                CAST(3 + floor({_u("i", 9)} * 14) AS INTEGER) AS user_turns,
                450 + {_u("i", 10)} * 700 AS p50,
                CASE WHEN {_u("i", 11)} < 0.04 THEN NULL
                     ELSE round(0.01 + {_u("i", 12)} * 0.25, 4) END AS cost_usd,
                round({_u("i", 13)} * 1.4 - 0.5, 3) AS sentiment_mean,
                list_filter({integrations},
                  lambda x, k: {_u("i * 31 + k", 14)} < 0.45 / k) AS integrations
              FROM range({n}) t(i))
            SELECT *,
              start_time::DATE AS day,
              CASE WHEN score >= 80 THEN 'A' WHEN score >= 65 THEN 'B' WHEN score >= 50
                THEN 'C' WHEN score >= 35 THEN 'D' ELSE 'F' END AS grade,
              score >= 65 AS qualified,
              score >= 65 AND booked_draw < 0.45 AS booked,
              user_turns * 22.0 + 30 AS duration_seconds
            FROM base
            """
        )
        con.execute(
            """
            INSERT INTO session_facts (record_id, session_id, start_time, day, complete,
              industry, urgency, team_size, monthly_volume, grade, score, qualified, booked,
              outcome, cost_usd, sentiment_mean, user_turns, latency_p50_ms, latency_p95_ms,
              duration_seconds)
            SELECT record_id, session_id, start_time, day, TRUE, industry, urgency, team_size,
              monthly_volume, grade, score, qualified, booked,
              CASE WHEN booked THEN 'booked' WHEN qualified THEN 'qualified'
                   WHEN abandon_draw < 0.3 THEN 'abandoned' ELSE 'disqualified' END,
              cost_usd, sentiment_mean, user_turns, round(p50, 1), round(p50 * 1.9, 1),
              duration_seconds
            FROM synth
            """
        )
        record = (
            "json_object('session_id', session_id, 'start_time', strftime(start_time, "
            "'%Y-%m-%dT%H:%M:%S'), 'discovered_signals', json_object('industry', industry, "
            "'team_size', team_size, 'urgency', urgency, 'integration_needs', integrations))"
            if with_records
            else "NULL"
        )
        con.execute(
            f"""
            INSERT INTO sessions (record_id, session_id, revision, complete, start_time,
              end_time, duration_seconds, record, agent_name, industry, team_size,
              monthly_volume, urgency, integration_needs, tool_call_count, received_at)
            SELECT record_id, session_id, 1, TRUE, start_time,
              start_time + to_seconds(CAST(duration_seconds AS BIGINT)), duration_seconds,
              {record}, 'signalroom-sales', industry, team_size, monthly_volume, urgency,
              to_json(integrations), CAST(booked AS INTEGER) + len(integrations) % 2,
              start_time + INTERVAL 6 MINUTE
            FROM synth
            """
        )
        con.execute(
            """
            INSERT INTO signals (record_id, field, value, source, turn_index, span)
            SELECT record_id, 'integration_needs', unnest(integrations), 'pattern', 2, NULL
            FROM synth
            """
        )
        count = con.execute("SELECT count(*) FROM session_facts").fetchone()
        con.execute("DROP TABLE synth")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"sessions": int(count[0]) if count else 0, "path": str(path), "days": days}
