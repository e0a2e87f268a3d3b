"""Simulated calls are badged, empty charts say so, callers and tool rows read well."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from signalroom.dashboard import charts
from signalroom.dashboard.app import create_app
from signalroom.dashboard.contacts import contact_of
from signalroom.dashboard.pages import environment
from signalroom.dashboard.report import render_report
from signalroom.dashboard.timeline import format_value
from signalroom.record import SessionRecord, ToolCall
from tests.dashboard.records import demo_records, write_warehouse

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def _as(record: SessionRecord, session_id: str, start: datetime, **changes: Any) -> SessionRecord:
    data = record.model_dump(mode="python")
    shift = start - record.start_time
    for item in data["transcript"] or []:
        item["at"] = item["at"] + shift if item["at"] else None
    for call in data["tool_calls"]:
        call["timestamp"] += shift
    data.update(
        session_id=session_id,
        record_id="",
        start_time=start,
        end_time=data["end_time"] + shift if data["end_time"] else None,
        **changes,
    )
    return SessionRecord.model_validate(data)


@pytest.fixture(scope="module")
def mixed_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two simulated calls 60 days ago (one books Ana) and real calls of the last days."""
    base = demo_records(6, now=NOW)[1:]
    booking = ToolCall(
        tool="book_sales_meeting",
        timestamp=NOW - timedelta(days=60),
        customer_name="Ana Haddad",
        customer_email="ana@haddadinsure.com",
        success=True,
        arguments={"preferred_time": "friday at 11am"},
    )
    signal = ToolCall(
        tool="record_signal",
        timestamp=NOW - timedelta(days=60),
        arguments={"field": "monthly_volume", "value": "1500.0"},
    )
    old = NOW - timedelta(days=60)
    simulated = [
        _as(
            base[0],
            "sim-1-0000",
            old,
            metadata={"simulated": True},
            tool_calls=[signal.model_dump(), booking.model_dump()],
        ),
        _as(base[1], "sim-1-0001", old + timedelta(hours=2), metadata={"simulated": True}),
    ]
    # a real call named like the simulator's is not badged: the flag decides
    real = [_as(base[2], "sim-looking-real", NOW - timedelta(days=1), metadata={}), *base[3:]]
    url = f"duckdb://{tmp_path_factory.mktemp('mixed') / 'warehouse.duckdb'}"
    write_warehouse(url, simulated + real)
    return url


@pytest.fixture
async def mixed(mixed_url: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(mixed_url), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


BADGE = 'id="simulated-badge"'


async def test_the_badge_shows_where_a_shown_call_is_simulated(mixed: httpx.AsyncClient):
    assert BADGE in (await mixed.get("/?days=all")).text
    assert BADGE in (await mixed.get("/?days=90")).text
    assert BADGE not in (await mixed.get("/?days=30")).text
    assert BADGE in (await mixed.get("/leads")).text
    recent = date.today() - timedelta(days=10)
    assert BADGE not in (await mixed.get(f"/leads?date_from={recent}")).text
    assert BADGE in (await mixed.get("/calls/sim-1-0000")).text
    assert BADGE not in (await mixed.get("/calls/sim-looking-real")).text


async def test_the_report_is_badged_only_with_simulated_calls(mixed_url, warehouse_url, tmp_path):
    report = render_report(mixed_url, tmp_path / "a.html").read_text()
    assert BADGE in report
    # a file on disk is a copy `signalroom forget` cannot reach: it names no caller
    assert "Ana Haddad" not in report and "haddadinsure" not in report
    assert BADGE not in render_report(warehouse_url, tmp_path / "b.html").read_text()


async def test_leads_show_the_caller_and_tool_rows_their_values(mixed: httpx.AsyncClient):
    leads = (await mixed.get("/leads")).text
    assert "Ana Haddad" in leads and "ana@haddadinsure.com" in leads
    assert ">haddadinsure.com<" in leads
    assert "[redacted]" not in leads  # the other calls' redacted address is not shown
    call = (await mixed.get("/calls/sim-1-0000")).text
    assert "monthly volume: 1,500<" in call and "1500.0" not in call.split("Stored record")[0]
    assert "requested time: friday at 11am" in call


async def test_a_chart_without_data_says_so(tmp_path: Path):
    records = [
        _as(r, f"quiet-{i}", NOW - timedelta(hours=i + 1), turns=[])
        for i, r in enumerate(demo_records(3, now=NOW)[1:])
    ]
    url = f"duckdb://{tmp_path / 'w.duckdb'}"
    write_warehouse(url, records)
    transport = httpx.ASGITransport(app=create_app(url), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        page = (await client.get("/")).text
    assert 'id="no-data-latency"' in page and "No data for this period" in page
    assert 'data-chart="spec-latency"' not in page
    assert 'data-chart="spec-calls"' in page


def test_day_axes_tick_at_most_once_a_day() -> None:
    one_day = [{"day": date(2025, 12, 3), "calls": 20, "qualified": 5, "booked": 2}]
    spec = charts.calls_per_day(one_day)
    assert spec is not None
    axis = spec["encoding"]["x"]["axis"]
    assert axis["tickCount"] == {"interval": "day", "step": 1}
    assert spec["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    month = [{**one_day[0], "day": date(2025, 11, 4) + timedelta(days=i)} for i in range(30)]
    spec = charts.calls_per_day(month)
    assert spec is not None
    assert spec["encoding"]["x"]["axis"]["tickCount"] == {"interval": "day", "step": 4}
    year = [{**one_day[0], "day": date(2025, 1, 1) + timedelta(days=i)} for i in range(365)]
    axis = charts.day_axis([r["day"] for r in year])
    assert axis.to_dict()["tickCount"] == {"interval": "month", "step": 2}
    assert charts.calls_per_day([{**one_day[0], "calls": 0}]) is None
    assert (
        charts.latency_per_day(
            [{"day": date(2025, 12, 3), "latency_p50_ms": None, "latency_p95_ms": None}]
        )
        is None
    )


def test_the_caller_is_shown_only_as_the_policy_kept_it() -> None:
    def booked(name: str | None, email: str | None, success: bool = True) -> dict[str, Any]:
        return {
            "tool_calls": [{"customer_name": name, "customer_email": email, "success": success}]
        }

    kept = contact_of(booked("Ana Haddad", "ana@haddadinsure.com"))
    assert (kept.name, kept.email, kept.company) == (
        "Ana Haddad",
        "ana@haddadinsure.com",
        "haddadinsure.com",
    )
    free = contact_of(booked("Bo", "bo@gmail.com"))
    assert free.email == "bo@gmail.com" and free.company is None
    hashed = contact_of(booked("h:9f2c", "h:77aa"))
    assert (hashed.name, hashed.email, hashed.company) == (None, None, None)
    redacted = contact_of(booked("[NAME]", "[EMAIL]"))
    assert redacted.name is None and redacted.email is None
    # a refused booking then a confirmed one: the confirmed details win
    both = {
        "tool_calls": [
            *booked("Al", "al@x.io")["tool_calls"],
            *booked("Al Smith", "al@smith.io", False)["tool_calls"],
        ]
    }
    both["tool_calls"][0]["success"] = True
    assert contact_of(both).email == "al@x.io"
    assert contact_of({"metadata": {"simulated": True}}).simulated is True
    assert contact_of({}) == contact_of({"metadata": {"simulated": "yes"}})


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (300.0, "300"),
        ("300.0", "300"),
        (1500, "1,500"),
        (12.5, "12.5"),
        ("real_estate", "real estate"),
        ("Salesforce", "Salesforce"),
        (None, "—"),
    ],
)
def test_values_read_as_people_say_them(value: Any, shown: str) -> None:
    assert format_value(value) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.4, "0s"), (45, "45s"), (94, "1m 34s"), (3725, "1h 02m")]
)
def test_durations_read_in_the_units_that_matter(seconds: float, shown: str) -> None:
    assert environment().filters["duration"](seconds) == shown


@pytest.mark.postgres
def test_postgres_answers_the_same(tmp_path: Path) -> None:
    import uuid

    psycopg = pytest.importorskip("psycopg")
    from signalroom.dashboard.contacts import any_simulated, contacts
    from signalroom.dashboard.reader import WarehouseTarget, open_reader

    admin_url = "postgresql://postgres@127.0.0.1:5432/test"
    name = f"simulated_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        base = demo_records(2, now=NOW)[1:]
        booking = ToolCall(
            tool="book_sales_meeting",
            timestamp=NOW - timedelta(days=3),
            customer_name="Ana Haddad",
            customer_email="ana@haddadinsure.com",
            success=True,
        )
        sim = _as(
            base[0],
            "sim-pg-0",
            NOW - timedelta(days=3),
            metadata={"simulated": True},
            tool_calls=[booking.model_dump()],
        )
        real = _as(base[1], "room-pg-1", NOW - timedelta(days=1), metadata={})
        write_warehouse(url, [sim, real])
        with open_reader(WarehouseTarget.parse(url)) as db:
            assert any_simulated(db) is True
            assert any_simulated(db, date.today() - timedelta(days=2)) is False
            found = contacts(db, [sim.record_id, real.record_id])
        assert found[sim.record_id].name == "Ana Haddad" and found[sim.record_id].simulated
        assert found[real.record_id].simulated is False
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
