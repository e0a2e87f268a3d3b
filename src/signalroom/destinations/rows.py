"""The warehouse tables as column specs, and an analyzed session flattened into their rows.

One place defines every table's columns and types; the DuckDB and PostgreSQL backends generate
their DDL and bulk inserts from it, so the two warehouses cannot drift apart. Times are stored
as naive UTC timestamps (aware times are converted; naive ones are taken as UTC).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic_core import to_json

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult
from signalroom.record import SessionRecord

ColumnType = Literal["text", "int", "bool", "double", "ts", "date", "json"]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[tuple[str, ColumnType], ...]
    primary_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


SESSIONS = Table(
    "sessions",
    (
        ("record_id", "text"), ("session_id", "text"), ("revision", "int"),
        ("complete", "bool"), ("start_time", "ts"), ("end_time", "ts"),
        ("duration_seconds", "double"), ("record", "json"), ("agent_name", "text"),
        ("industry", "text"), ("team_size", "int"), ("monthly_volume", "double"),
        ("urgency", "text"), ("integration_needs", "json"), ("tool_call_count", "int"),
        ("received_at", "ts"),
    ),
    ("record_id",),
)  # fmt: skip
ANALYSIS = Table(
    "analysis",
    (("record_id", "text"), ("analyzer", "text"), ("version", "text"), ("result", "json"),
     ("analyzed_at", "ts")),
    ("record_id", "analyzer"),
)  # fmt: skip
SESSION_FACTS = Table(
    "session_facts",
    (
        ("record_id", "text"), ("session_id", "text"), ("start_time", "ts"), ("day", "date"),
        ("complete", "bool"), ("industry", "text"), ("urgency", "text"), ("team_size", "int"),
        ("monthly_volume", "double"), ("grade", "text"), ("score", "double"),
        ("qualified", "bool"), ("booked", "bool"), ("outcome", "text"), ("cost_usd", "double"),
        ("sentiment_mean", "double"), ("user_turns", "int"), ("latency_p50_ms", "double"),
        ("latency_p95_ms", "double"), ("duration_seconds", "double"),
    ),
    ("record_id",),
)  # fmt: skip
SIGNALS = Table(
    "signals",
    (("record_id", "text"), ("field", "text"), ("value", "text"), ("source", "text"),
     ("turn_index", "int"), ("span", "text")),
)  # fmt: skip
TOOL_CALLS = Table(
    "tool_calls",
    (
        ("record_id", "text"), ("idx", "int"), ("tool", "text"), ("timestamp", "ts"),
        ("query", "text"), ("category", "text"), ("results_found", "bool"),
        ("total_results", "int"), ("success", "bool"), ("duration_ms", "double"),
        ("error", "text"),
    ),
)  # fmt: skip
TURNS = Table(
    "turns",
    (("record_id", "text"), ("turn_id", "text"), ("idx", "int"), ("e2e_latency_ms", "double"),
     ("llm_ttft_ms", "double"), ("tts_ttfb_ms", "double"), ("end_of_turn_delay_ms", "double")),
)  # fmt: skip
DELIVERIES = Table(
    "deliveries",
    (("record_id", "text"), ("destination", "text"), ("revision", "int"), ("status", "text"),
     ("attempts", "int"), ("last_error", "text"), ("updated_at", "ts")),
    ("record_id", "destination"),
)  # fmt: skip

#: Tables whose rows for a record are replaced as a whole when a newer revision is applied.
CHILD_TABLES = (ANALYSIS, SESSION_FACTS, SIGNALS, TOOL_CALLS, TURNS)
ALL_TABLES = (SESSIONS, *CHILD_TABLES, DELIVERIES)

Rows = dict[str, list[tuple[Any, ...]]]


def utc_naive(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def session_rows(items: Iterable[AnalyzedSession], received_at: datetime) -> Rows:
    """Rows of every table except ``deliveries`` for ``items``."""
    rows: Rows = {t.name: [] for t in (SESSIONS, *CHILD_TABLES)}
    for item in items:
        rec = item.record
        s = rec.discovered_signals
        rows["sessions"].append(
            (
                rec.record_id, rec.session_id, rec.revision, rec.complete,
                utc_naive(rec.start_time), utc_naive(rec.end_time), rec.duration_seconds,
                rec.model_dump_json(), rec.agent_name, s.industry, s.team_size,
                s.monthly_volume, s.urgency, json.dumps(s.integration_needs),
                len(rec.tool_calls), received_at,
            )
        )  # fmt: skip
        analysis_and_facts(item, received_at, rows)
        rows["signals"].extend(signal_rows(rec))
        rows["tool_calls"].extend(
            (
                rec.record_id, i, c.tool, utc_naive(c.timestamp), c.query, c.category,
                c.results_found, c.total_results, c.success, c.duration_ms, c.error,
            )
            for i, c in enumerate(rec.tool_calls)
        )  # fmt: skip
        rows["turns"].extend(
            (
                rec.record_id, t.turn_id, t.index, t.e2e_latency_ms, t.llm_ttft_ms,
                t.tts_ttfb_ms, t.end_of_turn_delay_ms,
            )
            for t in rec.turns
        )  # fmt: skip
    return rows


def analysis_and_facts(item: AnalyzedSession, analyzed_at: datetime, rows: Rows) -> None:
    """Append the ``analysis`` and ``session_facts`` rows of ``item`` to ``rows``."""
    rid = item.record_id
    rows.setdefault("analysis", []).extend(
        (rid, r.name, r.version, _json(r.result), analyzed_at) for r in item.results.values()
    )
    rows.setdefault("session_facts", []).append(facts_row(item.record, item.results))


def facts_row(rec: SessionRecord, results: dict[str, AnalyzerResult]) -> tuple[Any, ...]:
    def field(analyzer: str, key: str) -> Any:
        found = results.get(analyzer)
        return None if found is None else found.result.get(key)

    s = rec.discovered_signals
    start = utc_naive(rec.start_time)
    outcome = field("outcome", "outcome")
    latencies = sorted(t.e2e_latency_ms for t in rec.turns if t.e2e_latency_ms is not None)
    user_turns = field("engagement", "user_turns")
    return (
        rec.record_id, rec.session_id, start, start.date() if start else None, rec.complete,
        s.industry, s.urgency, s.team_size, s.monthly_volume, field("lead_score", "grade"),
        field("lead_score", "score"), field("lead_score", "qualified"),
        None if outcome is None else outcome == "booked", outcome,
        field("cost", "total_usd"), field("sentiment", "mean"),
        user_turns if user_turns is not None else rec.user_turns,
        percentile(latencies, 0.50), percentile(latencies, 0.95), rec.duration_seconds,
    )  # fmt: skip


def signal_rows(rec: SessionRecord) -> list[tuple[Any, ...]]:
    """Evidence rows; a merged signal with no evidence (older records) gets one summary row."""
    rid = rec.record_id
    out: list[tuple[Any, ...]] = [
        (rid, e.field, _text(e.value), e.source, e.turn_index, e.span) for e in rec.signal_evidence
    ]
    evidenced = {e.field for e in rec.signal_evidence}
    s = rec.discovered_signals
    for name in ("team_size", "monthly_volume", "urgency", "industry"):
        value = getattr(s, name)
        if value is not None and name not in evidenced:
            out.append((rid, name, _text(value), "pattern", None, None))
    if "integration_needs" not in evidenced:
        out.extend(
            (rid, "integration_needs", v, "pattern", None, None) for v in s.integration_needs
        )
    return out


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile of an already sorted sequence (numpy's default method)."""
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def columns_of(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Row tuples → one list per column, the shape bulk ``unnest`` inserts take."""
    if not rows:
        return [[] for _ in range(width)]
    cols = [list(col) for col in zip(*rows, strict=True)]
    if len(cols) != width:
        raise ValueError(f"rows have {len(cols)} values, the table {width} columns")
    return cols


def _json(value: Any) -> str:
    # pydantic-core's serializer (Rust) is several times faster than json.dumps on the small
    # dicts analyzers return; unknown types fall back to str() as json.dumps(default=str) did.
    return to_json(value, fallback=str).decode()
