"""DuckDB and PostgreSQL keep the destination contract (tests/destinations/contract.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalroom.destinations import AnalyzedSession, Destination, Warehouse, open_warehouse
from tests.destinations.conftest import create_database, drop_database
from tests.destinations.contract import DestinationContract


class WarehouseContract(DestinationContract):
    url: str

    async def make_destination(self) -> Destination:
        return open_warehouse(self.url)

    async def held(self, destination: Destination, item: AnalyzedSession) -> int | None:
        assert isinstance(destination, Warehouse)
        found = await asyncio.to_thread(destination.load_sessions, [item.record_id])
        return found[0].record.revision if found else None

    async def items(self, destination: Destination) -> int:
        assert isinstance(destination, Warehouse)
        return await asyncio.to_thread(destination.count_rows, "sessions")


class TestDuckDBContract(WarehouseContract):
    @pytest.fixture(autouse=True)
    def _file(self, tmp_path: Path) -> None:
        self.url = f"duckdb://{tmp_path / 'warehouse.duckdb'}"
        self.not_a_folder = tmp_path / "plain-file"
        self.not_a_folder.write_text("")

    async def make_broken(self) -> Destination:
        return open_warehouse(f"duckdb://{self.not_a_folder / 'warehouse.duckdb'}")


@pytest.mark.postgres
class TestPostgresContract(WarehouseContract):
    @pytest.fixture(autouse=True)
    def _database(self) -> Iterator[None]:
        name = create_database()
        self.url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        yield
        drop_database(name)

    async def make_broken(self) -> Destination:
        return open_warehouse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
