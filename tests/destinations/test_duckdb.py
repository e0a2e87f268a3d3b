from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from signalroom.analyzers import default_analyzers, run_analyzers
from signalroom.destinations import AnalyzedSession, duckdb_path, open_warehouse
from signalroom.destinations.duckdb import DuckDBWarehouse
from signalroom.destinations.postgres import PostgresWarehouse
from signalroom.errors import ConfigError, WarehouseLockedError
from signalroom.record import decode_record


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert duckdb_path(f"duckdb://{tmp_path}/w.duckdb") == tmp_path / "w.duckdb"
    monkeypatch.chdir(tmp_path)
    assert duckdb_path("duckdb://data/w.duckdb") == tmp_path / "data" / "w.duckdb"
    assert isinstance(open_warehouse("duckdb:///x/w.duckdb"), DuckDBWarehouse)
    assert isinstance(open_warehouse("postgres://u@h/db"), PostgresWarehouse)
    assert isinstance(open_warehouse("postgresql://u@h/db"), PostgresWarehouse)
    with pytest.raises(ConfigError, match="unknown warehouse URL scheme 'mysql'"):
        open_warehouse("mysql://h/db")
    with pytest.raises(ConfigError, match="names no file"):
        open_warehouse("duckdb:///")


def test_second_writer_is_refused_with_pid(tmp_path: Path) -> None:
    url = f"duckdb://{tmp_path / 'w.duckdb'}"
    first, second = open_warehouse(url), open_warehouse(url)
    first.acquire_writer_lock()
    try:
        with pytest.raises(WarehouseLockedError) as caught:
            second.acquire_writer_lock()
        message = str(caught.value)
        assert (
            f"another signalroom service is writing {tmp_path / 'w.duckdb'} (pid {os.getpid()})"
            in message
        )
        assert "use PostgreSQL to run several" in message
    finally:
        first.release_writer_lock()
    second.acquire_writer_lock()
    second.release_writer_lock()


def test_file_is_free_for_readers_between_batches(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = open_warehouse(f"duckdb://{path}")
    warehouse.acquire_writer_lock()
    record = decode_record(seed_record_dict)
    warehouse.apply_sync([AnalyzedSession(record, run_analyzers(record, default_analyzers()))])
    reader = duckdb.connect(str(path), read_only=True)
    try:
        rows = reader.execute("SELECT grade, outcome, booked FROM session_facts").fetchall()
        versions = reader.execute("SELECT max(version) FROM schema_migrations").fetchone()
    finally:
        reader.close()
    warehouse.release_writer_lock()
    assert rows == [("B", "booked", True)]
    assert versions == (1,)
