"""The dashboard's SQL against a warehouse written by the real writer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from signalroom.dashboard import queries
from signalroom.dashboard.queries import LeadFilters
from signalroom.dashboard.reader import WarehouseTarget, open_reader
from signalroom.record import SessionRecord


def _open(url: str):  # type: ignore[no-untyped-def]
    return open_reader(WarehouseTarget.parse(url))


def test_overview_totals_match_the_analyzers(warehouse_url, records, expected):
    with _open(warehouse_url) as db:
        data = queries.overview(db)
    qualified = sum(1 for e in expected.values() if e["lead_score"]["qualified"])
    booked = sum(1 for e in expected.values() if e["outcome"]["outcome"] == "booked")
    costs = [e["cost"]["total_usd"] for e in expected.values()]
    priced = [c for c in costs if c is not None]
    t = data.totals
    assert t["calls"] == len(records)
    assert t["qualified"] == qualified
    assert t["booked"] == booked
    assert t["in_progress"] == sum(1 for r in records if not r.complete)
    assert t["qualified_rate"] == pytest.approx(qualified / len(records))
    assert t["cost_known"] == len(priced) < len(records)  # the seed has no usage, so no cost
    assert t["cost_per_call"] == pytest.approx(sum(priced) / len(priced))
    grades = {row["grade"]: row["calls"] for row in data.grades}
    for grade in {e["lead_score"]["grade"] for e in expected.values()}:
        assert grades[grade] == sum(
            1 for e in expected.values() if e["lead_score"]["grade"] == grade
        )
    assert sum(row["calls"] for row in data.daily) == len(records)


def test_overview_integrations_and_industries(warehouse_url, records):
    with _open(warehouse_url) as db:
        data = queries.overview(db)
    wanted: dict[str, int] = {}
    for r in records:
        for name in r.discovered_signals.integration_needs:
            wanted[name] = wanted.get(name, 0) + 1
    got = {row["name"]: row["calls"] for row in data.integrations}
    assert got == dict(sorted(wanted.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    industries = {row["industry"]: row["calls"] for row in data.industries}
    assert industries["legal"] == sum(
        1 for r in records if r.discovered_signals.industry == "legal"
    )
    assert industries["unknown"] == sum(1 for r in records if r.discovered_signals.industry is None)


def test_overview_window_excludes_older_calls(warehouse_url, records):
    since = date.today() - timedelta(days=6)
    with _open(warehouse_url) as db:
        data = queries.overview(db, since)
    inside = [r for r in records if r.start_time.date() >= since]
    assert 0 < data.totals["calls"] == len(inside) < len(records)


def test_leads_filters_sorting_and_paging(warehouse_url, records, expected):
    with _open(warehouse_url) as db:
        page = queries.leads(db, LeadFilters(grade=["A", "B"], industry="legal"))
        by_score = queries.leads(db, LeadFilters(sort="score", order="asc"))
        all_rows = list(queries.iter_leads(db, LeadFilters()))
    want = {
        sid
        for sid, e in expected.items()
        if e["lead_score"]["grade"] in ("A", "B")
        and next(r for r in records if r.session_id == sid).discovered_signals.industry == "legal"
    }
    assert {row["session_id"] for row in page.rows} == want
    assert page.total == len(want)
    scores = [row["score"] for row in by_score.rows]
    assert scores == sorted(scores)
    assert len(all_rows) == len(records)
    starts = [row["start_time"] for row in all_rows]
    assert starts == sorted(starts, reverse=True)


def test_leads_date_range_and_outcome(warehouse_url, records, expected):
    day = max(r.start_time.date() for r in records)
    with _open(warehouse_url) as db:
        page = queries.leads(db, LeadFilters(date_from=day, date_to=day))
        booked = queries.leads(db, LeadFilters(outcome="booked"))
    assert page.total == sum(1 for r in records if r.start_time.date() == day)
    assert booked.total == sum(1 for e in expected.values() if e["outcome"]["outcome"] == "booked")


def test_paging_visits_every_lead_once(warehouse_url, records, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 7)
    seen: list[str] = []
    with _open(warehouse_url) as db:
        first = queries.leads(db, LeadFilters(page=1))
        for number in range(1, first.pages + 1):
            seen += [r["session_id"] for r in queries.leads(db, LeadFilters(page=number)).rows]
    assert first.pages == -(-len(records) // 7)
    assert sorted(seen) == sorted(r.session_id for r in records)


def test_call_detail_and_unknown_id(warehouse_url, records: list[SessionRecord]):
    target = records[1]
    with _open(warehouse_url) as db:
        data = queries.call(db, target.session_id)
        missing = queries.call(db, "no-such-room")
    assert missing is None
    assert data is not None
    assert data.record["record_id"] == target.record_id
    assert set(data.analysis) == {"lead_score", "sentiment", "engagement", "cost", "outcome"}
    assert data.analysis["sentiment"]["result"]["turns"]
    assert (
        data.facts is not None
        and data.facts["grade"] == data.analysis["lead_score"]["result"]["grade"]
    )


def test_placeholders_outside_literals_only():
    from signalroom.destinations.postgres import pg_placeholders as _pg_placeholders

    sql = "SELECT coalesce(grade, '?') FROM t WHERE a = ? AND b LIKE '5%' AND c = ?"
    assert _pg_placeholders(sql) == (
        "SELECT coalesce(grade, '?') FROM t WHERE a = %s AND b LIKE '5%%' AND c = %s"
    )
