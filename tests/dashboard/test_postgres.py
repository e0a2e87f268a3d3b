"""The same pages over a PostgreSQL warehouse written by the real writer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from signalroom.dashboard import queries
from signalroom.dashboard.app import create_app
from signalroom.dashboard.queries import LeadFilters
from signalroom.dashboard.reader import WarehouseTarget, open_reader
from signalroom.record import SessionRecord
from tests.dashboard.records import write_warehouse

pytestmark = pytest.mark.postgres

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg_url(records: list[SessionRecord]) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"dashboard_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        write_warehouse(url, records)
        yield url
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_queries_agree_with_duckdb(pg_url, warehouse_url):
    results = {}
    for url in (pg_url, warehouse_url):
        with open_reader(WarehouseTarget.parse(url)) as db:
            data = queries.overview(db)
            page = queries.leads(db, LeadFilters(grade=["A", "B"], sort="score", order="asc"))
            results[url] = (
                {k: data.totals[k] for k in ("calls", "qualified", "booked", "cost_known")},
                data.grades,
                data.integrations,
                [r["session_id"] for r in page.rows],
            )
    assert results[pg_url] == results[warehouse_url]


def test_reader_is_read_only(pg_url):
    import psycopg

    with (
        open_reader(WarehouseTarget.parse(pg_url)) as db,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        db.rows("DELETE FROM sessions")


async def test_pages_and_csv(pg_url, records):
    app = create_app(pg_url)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        assert (await c.get("/?days=all")).status_code == 200
        assert (await c.get(f"/calls/{records[2].session_id}")).status_code == 200
        exported = await c.get("/leads.csv")
    assert exported.status_code == 200
    assert len(exported.text.strip().splitlines()) == len(records) + 1
