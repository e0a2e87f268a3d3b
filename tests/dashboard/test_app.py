"""The web app over ASGI: pages, errors, filters, CSV, and who may read it."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from signalroom.dashboard.app import create_app
from signalroom.dashboard.auth import COOKIE


async def test_pages_render(client, records):
    overview = await client.get("/?days=all")
    assert overview.status_code == 200
    assert f'id="kpi-calls">{len(records)}<' in overview.text
    assert overview.text.count('data-chart="spec-') == 6
    assert "default-src 'self'" in overview.headers["content-security-policy"]
    leads = await client.get("/leads")
    assert leads.status_code == 200
    assert f'<span id="lead-count">{len(records)}</span>' in leads.text
    call = await client.get(f"/calls/{records[1].session_id}")
    assert call.status_code == 200
    assert 'class="sig sig-industry"' in call.text
    assert "search_knowledge" in call.text and "Stored record" in call.text
    assert (await client.get("/static/vendor/vega-embed.min.js")).status_code == 200


async def test_unknown_call_is_a_404_page(client):
    response = await client.get("/calls/room-that-never-was")
    assert response.status_code == 404
    assert "room-that-never-was" in response.text and "<html" in response.text
    assert (await client.get("/no/such/page")).status_code == 404


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("grade=Z", "grade"),
        ("date_from=yesterday", "date_from"),
        ("sort=record", "sort"),
        ("page=0", "page"),
        ("outcome=won", "outcome"),
    ],
)
async def test_bad_filters_are_400_naming_the_parameter(client, query, named):
    response = await client.get(f"/leads?{query}")
    assert response.status_code == 400
    assert f"{named} must be" in response.text


async def test_filters_change_the_table_and_the_csv_matches(client, records):
    legal = [r for r in records if r.discovered_signals.industry == "legal"]
    page = await client.get("/leads?industry=legal&grade=&date_from=")
    assert f'<span id="lead-count">{len(legal)}</span>' in page.text
    exported = await client.get("/leads.csv?industry=legal")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == len(legal)
    assert {row["industry"] for row in rows} == {"legal"}
    assert {row["session_id"] for row in rows} == {r.session_id for r in legal}


async def test_sort_links_flip_order(client):
    page = await client.get("/leads?sort=score&order=desc")
    assert "sort=score&amp;order=asc" in page.text


def _app_client(url: str, token: str | None, client_ip: str) -> httpx.AsyncClient:
    app = create_app(url, token=token)
    transport = httpx.ASGITransport(app=app, client=(client_ip, 41000))
    return httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5:8765")


async def test_without_a_token_only_loopback_clients_are_served(warehouse_url):
    async with _app_client(warehouse_url, None, "10.1.2.3") as remote:
        assert (await remote.get("/")).status_code == 401
        assert (await remote.get("/leads.csv")).status_code == 401
        assert (await remote.get("/healthz")).status_code == 200  # liveness, no data
    async with _app_client(warehouse_url, None, "127.0.0.1") as local:
        # A loopback client naming another host is a DNS-rebinding attempt.
        assert (await local.get("/")).status_code == 403
        ok = await local.get("/", headers={"host": "localhost:8765"})
        assert ok.status_code == 200


async def test_token_by_header_or_once_by_query_then_cookie(warehouse_url):
    async with _app_client(warehouse_url, "s3cret-token", "10.1.2.3") as remote:
        assert (await remote.get("/")).status_code == 401
        assert (await remote.get("/", headers={"authorization": "Bearer wrong"})).status_code == 401
        ok = await remote.get("/leads", headers={"authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        assert (await remote.get("/leads?token=nope")).status_code == 401
        hop = await remote.get("/leads?industry=legal&token=s3cret-token")
        assert hop.status_code == 303
        assert hop.headers["location"] == "/leads?industry=legal"
        cookie = hop.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
        assert "s3cret-token" not in cookie
        # httpx kept the cookie: later requests need nothing else.
        assert (await remote.get("/leads?industry=legal")).status_code == 200
    async with _app_client(warehouse_url, "s3cret-token", "127.0.0.1") as local:
        # With a token set, loopback is no exception (a local reverse proxy looks loopback).
        assert (await local.get("/")).status_code == 401


async def test_missing_warehouse_shows_an_empty_state(tmp_path: Path):
    async with _app_client(f"duckdb://{tmp_path}/none.duckdb", None, "127.0.0.1") as c:
        response = await c.get("/", headers={"host": "127.0.0.1"})
        assert response.status_code == 200 and "No data yet" in response.text
        csv_response = await c.get("/leads.csv", headers={"host": "127.0.0.1"})
        assert csv_response.text.startswith("start_time,session_id")


async def test_locked_warehouse_is_503_and_waits_for_the_writer(warehouse_path: Path, tmp_path):
    copy = tmp_path / "locked.duckdb"
    copy.write_bytes(warehouse_path.read_bytes())
    # The holder keeps the file until its stdin closes, so "held" does not depend on timing.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " sys.stdin.read()",
            str(copy),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        impatient = create_app(f"duckdb://{copy}", lock_budget_s=0.2)
        transport = httpx.ASGITransport(app=impatient, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            busy = await c.get("/")
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        patient = create_app(f"duckdb://{copy}", lock_budget_s=120.0)
        transport = httpx.ASGITransport(app=patient, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            served = asyncio.create_task(c.get("/leads"))
            await asyncio.sleep(0.3)
            assert not served.done()  # the file is still held: the page is retrying
            assert holder.stdin is not None
            holder.stdin.close()  # the writer lets go
            assert (await served).status_code == 200
    finally:
        holder.kill()
        holder.wait(5)
