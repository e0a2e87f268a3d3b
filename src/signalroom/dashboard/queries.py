"""The dashboard's SQL, written once for DuckDB and PostgreSQL.

The overview aggregates ``session_facts`` (one flat row per session) and never touches the
JSON record, so it stays fast at millions of sessions. The SQL is portable (``FILTER``,
``percentile_cont ... WITHIN GROUP``) except for unnesting the JSON integration list.
Every value reaches the database as a parameter; sort columns come from a fixed allow-list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from signalroom.dashboard.reader import Reader, Row

GRADES = ("A", "B", "C", "D", "F")
OUTCOMES = ("booked", "qualified", "disqualified", "abandoned")
URGENCIES = ("high", "medium", "low")
PAGE_SIZE = 50

#: Leads columns users may sort by, mapped to their SQL expression.
SORTABLE = {
    "start_time": "f.start_time",
    "grade": "f.grade",
    "score": "f.score",
    "industry": "f.industry",
    "team_size": "f.team_size",
    "monthly_volume": "f.monthly_volume",
    "urgency": "f.urgency",
    "outcome": "f.outcome",
    "cost_usd": "f.cost_usd",
    "duration_seconds": "f.duration_seconds",
}
LEAD_COLUMNS = (
    "start_time",
    "session_id",
    "grade",
    "score",
    "outcome",
    "industry",
    "team_size",
    "monthly_volume",
    "urgency",
    "integration_needs",
    "cost_usd",
    "duration_seconds",
)


@dataclass(slots=True)
class Overview:
    totals: Row
    daily: list[Row]
    grades: list[Row]
    outcomes: list[Row]
    industries: list[Row]
    integrations: list[Row]


def overview(db: Reader, since: date | None = None) -> Overview:
    """Every figure of the overview page, over calls that started on or after ``since``."""
    where, params = ("WHERE day >= ?", [since]) if since else ("", [])
    # One pass per day; the page's totals are sums of these rows, not another scan.
    daily = db.rows(
        f"""
        SELECT day, count(*) AS calls,
          count(*) FILTER (WHERE qualified) AS qualified,
          count(*) FILTER (WHERE booked) AS booked,
          count(*) FILTER (WHERE NOT complete) AS in_progress,
          sum(cost_usd) AS cost_total,
          count(cost_usd) AS cost_known,
          count(cost_usd) FILTER (WHERE qualified) AS qualified_cost_known,
          sum(score) AS score_sum, count(score) AS score_count,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_p50_ms) AS latency_p50_ms,
          percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_p95_ms) AS latency_p95_ms
        FROM session_facts {where} GROUP BY day ORDER BY day
        """,
        params,
    )
    totals = _totals(daily)
    grades = db.rows(
        f"SELECT coalesce(grade, '?') AS grade, count(*) AS calls "
        f"FROM session_facts {where} GROUP BY 1 ORDER BY 1",
        params,
    )
    outcomes = db.rows(
        f"SELECT coalesce(outcome, 'unknown') AS outcome, count(*) AS calls "
        f"FROM session_facts {where} GROUP BY 1 ORDER BY calls DESC",
        params,
    )
    industries = db.rows(
        f"""
        SELECT coalesce(industry, 'unknown') AS industry, count(*) AS calls,
          count(*) FILTER (WHERE qualified) AS qualified
        FROM session_facts {where} GROUP BY 1 ORDER BY calls DESC, industry LIMIT 12
        """,
        params,
    )
    return Overview(totals, daily, grades, outcomes, industries, _integrations(db, since))


def _totals(daily: list[Row]) -> Row:
    def total(key: str) -> Any:
        values = [row[key] for row in daily if row[key] is not None]
        return sum(values) if values else None

    calls = int(total("calls") or 0)
    totals: Row = {
        key: int(total(key) or 0)
        for key in (
            "calls",
            "qualified",
            "booked",
            "in_progress",
            "cost_known",
            "qualified_cost_known",
        )
    }
    score_count = total("score_count")
    totals.update(
        cost_total=total("cost_total"),
        avg_score=_ratio(total("score_sum"), score_count),
        first_day=daily[0]["day"] if daily else None,
        last_day=daily[-1]["day"] if daily else None,
        qualified_rate=_ratio(totals["qualified"], calls),
        booked_rate=_ratio(totals["booked"], calls),
    )
    # Calls with an unknown model price carry no cost: averages use only the priced calls,
    # and the page says how many were left out.
    totals["cost_per_call"] = _ratio(totals["cost_total"], totals["cost_known"])
    # Cost per qualified lead: what all priced calls cost, over the qualified leads among them.
    totals["cost_per_qualified"] = _ratio(totals["cost_total"], totals["qualified_cost_known"])
    return totals


def _integrations(db: Reader, since: date | None) -> list[Row]:
    # The one dialect-specific query: unnesting the JSON list of integration names. Calls
    # are first grouped by their list as stored, so each distinct list is parsed once (a
    # million calls hold only a few hundred distinct lists): ten times faster than parsing all.
    when, params = ("AND start_time >= ?", [since]) if since else ("", [])
    if db.dialect == "duckdb":
        sql = f"""
        SELECT name, sum(n) AS calls FROM (
          SELECT unnest(from_json(needs, '["VARCHAR"]')) AS name, n FROM (
            SELECT CAST(integration_needs AS VARCHAR) AS needs, count(*) AS n FROM sessions
            WHERE integration_needs IS NOT NULL {when} GROUP BY 1))
        GROUP BY name ORDER BY calls DESC, name LIMIT 10
        """
    else:
        sql = f"""
        SELECT name, sum(n)::bigint AS calls
        FROM (SELECT integration_needs::jsonb AS needs, count(*) AS n FROM sessions
              WHERE jsonb_typeof(integration_needs::jsonb) = 'array' {when}
              GROUP BY 1) s,
             jsonb_array_elements_text(s.needs) AS name
        GROUP BY name ORDER BY calls DESC, name LIMIT 10
        """
    return db.rows(sql, params)


def _ratio(num: Any, den: Any) -> float | None:
    return float(num) / float(den) if num is not None and den else None


@dataclass(slots=True)
class LeadFilters:
    """The leads page's query string, validated; also used for the CSV export."""

    grade: list[str] = field(default_factory=list)
    industry: str | None = None
    urgency: str | None = None
    outcome: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "start_time"
    order: Literal["asc", "desc"] = "desc"
    page: int = 1

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.grade:
            clauses.append("f.grade IN (" + ", ".join("?" for _ in self.grade) + ")")
            params.extend(self.grade)
        for column, value in (
            ("industry", self.industry),
            ("urgency", self.urgency),
            ("outcome", self.outcome),
        ):
            if value:
                clauses.append(f"f.{column} = ?")
                params.append(value)
        if self.date_from:
            clauses.append("f.day >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("f.day <= ?")
            params.append(self.date_to)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params

    def order_by(self) -> str:
        column = SORTABLE.get(self.sort, SORTABLE["start_time"])
        direction = "ASC" if self.order == "asc" else "DESC"
        # record_id breaks ties so pages never repeat or skip a row.
        return f"ORDER BY {column} {direction} NULLS LAST, f.record_id"


_LEADS_SELECT = """
SELECT f.record_id, f.start_time, f.session_id, f.grade, f.score, f.outcome, f.industry,
  f.team_size, f.monthly_volume, f.urgency, s.integration_needs, f.cost_usd,
  f.duration_seconds
FROM session_facts f LEFT JOIN sessions s ON s.record_id = f.record_id
"""


@dataclass(slots=True)
class LeadsPage:
    rows: list[Row]
    total: int
    page: int
    pages: int
    industries: list[str]


def leads(db: Reader, filters: LeadFilters) -> LeadsPage:
    where, params = filters.where()
    total_row = db.rows(f"SELECT count(*) AS n FROM session_facts f {where}", params)
    total = int(total_row[0]["n"]) if total_row else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    rows = db.rows(
        f"{_LEADS_SELECT} {where} {filters.order_by()} LIMIT {PAGE_SIZE} "
        f"OFFSET {(page - 1) * PAGE_SIZE}",
        params,
    )
    industries = [
        r["industry"]
        for r in db.rows(
            "SELECT DISTINCT industry FROM session_facts WHERE industry IS NOT NULL "
            "ORDER BY industry"
        )
    ]
    from signalroom.dashboard.contacts import Contact, contacts

    callers = contacts(db, [str(r["record_id"]) for r in rows])
    leads = [_lead(r) for r in rows]
    for row in leads:
        row["caller"] = callers.get(str(row["record_id"]), Contact())
    return LeadsPage(leads, total, page, pages, industries)


def iter_leads(db: Reader, filters: LeadFilters) -> Iterator[Row]:
    """Every lead matching ``filters`` (all pages) in the page's order, for the CSV export."""
    where, params = filters.where()
    for row in db.stream(f"{_LEADS_SELECT} {where} {filters.order_by()}", params):
        yield _lead(row)


def _lead(row: Row) -> Row:
    row["integration_needs"] = [str(v) for v in (as_json(row.get("integration_needs")) or [])]
    return row


def as_json(value: Any) -> Any:
    """JSON columns come back as text from DuckDB and already parsed from psycopg."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


@dataclass(slots=True)
class CallData:
    session: Row
    record: dict[str, Any]
    analysis: dict[str, Row]
    facts: Row | None
    deliveries: list[Row]


def call(db: Reader, session_id: str) -> CallData | None:
    """The newest record of ``session_id`` with its analysis, or None when unknown."""
    found = db.rows(
        "SELECT record_id, session_id, revision, complete, received_at, record FROM sessions "
        "WHERE session_id = ? ORDER BY start_time DESC, revision DESC LIMIT 1",
        [session_id],
    )
    if not found:
        return None
    session = found[0]
    record_id = session["record_id"]
    analysis = {
        r["analyzer"]: {**r, "result": as_json(r["result"]) or {}}
        for r in db.rows(
            "SELECT analyzer, version, result, analyzed_at FROM analysis WHERE record_id = ? "
            "ORDER BY analyzer",
            [record_id],
        )
    }
    facts = db.rows("SELECT * FROM session_facts WHERE record_id = ?", [record_id])
    deliveries = (
        db.rows(
            "SELECT destination, revision, status, attempts, last_error, updated_at "
            "FROM deliveries WHERE record_id = ? ORDER BY destination",
            [record_id],
        )
        if _has_table(db, "deliveries")
        else []
    )
    record = as_json(session.pop("record")) or {}
    return CallData(session, record, analysis, facts[0] if facts else None, deliveries)


def _has_table(db: Reader, name: str) -> bool:
    rows = db.rows(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name]
    )
    return bool(rows and rows[0]["n"])
