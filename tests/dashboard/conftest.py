"""A warehouse of realistic calls, written once per test session through the real writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from signalroom.analyzers import default_analyzers, run_analyzers
from signalroom.dashboard.app import create_app
from signalroom.record import SessionRecord
from tests.dashboard.records import demo_records, write_warehouse
from tests.dashboard.server import dashboard_server


@pytest.fixture(scope="session")
def records() -> list[SessionRecord]:
    return demo_records(40)


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory, records: list[SessionRecord]) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "warehouse.duckdb"
    write_warehouse(f"duckdb://{path}", records)
    return path


@pytest.fixture(scope="session")
def warehouse_url(warehouse_path: Path) -> str:
    return f"duckdb://{warehouse_path}"


@pytest.fixture(scope="session")
def expected(records: list[SessionRecord]) -> dict[str, dict[str, object]]:
    """What the analyzers said of each record, computed independently of the warehouse."""
    chain = default_analyzers()
    return {
        r.session_id: {name: res.result for name, res in run_analyzers(r, chain).items()}
        for r in records
    }


@pytest.fixture(scope="session")
def base_url(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``signalroom dashboard`` process over the test warehouse, shared by the tests."""
    with dashboard_server(warehouse_url, tmp_path_factory.mktemp("home")) as base:
        yield base


@pytest.fixture
async def client(warehouse_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(warehouse_url)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as c:
        yield c
