from __future__ import annotations

import asyncio
import os
import threading
import time
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
from tests.waiting import wait_for


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


def _analyzed(seed_record_dict: dict[str, Any], n: int) -> list[AnalyzedSession]:
    out = []
    for i in range(n):
        record = decode_record({**seed_record_dict, "record_id": f"hold-{i}", "revision": 1})
        out.append(AnalyzedSession(record, run_analyzers(record, default_analyzers())))
    return out


def _queued_batches(warehouse: DuckDBWarehouse, batches: list[list[AnalyzedSession]]) -> int:
    """Write ``batches`` from threads queued behind a first one; return how often it opened."""
    opened: list[float] = []
    real_open = warehouse._open

    def counting_open() -> duckdb.DuckDBPyConnection:
        opened.append(time.monotonic())
        return real_open()

    warehouse._open = counting_open  # type: ignore[method-assign]
    others = [threading.Thread(target=warehouse.apply_sync, args=(b,)) for b in batches[1:]]
    with warehouse._connection():
        for thread in others:
            thread.start()
        wait_for(lambda: warehouse._waiting == len(others), "every other writer to wait")
        warehouse.apply_sync(batches[0])  # nested in the holder's thread: its own connection
    for thread in others:
        thread.join(10)
    return len(opened)


def test_queued_batches_share_one_open_then_release(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    path = tmp_path / "w.duckdb"
    warehouse = DuckDBWarehouse(f"duckdb://{path}")
    items = _analyzed(seed_record_dict, 4)
    warehouse.apply_sync(items[:1])
    opens = _queued_batches(warehouse, [items[1:2], items[2:3], items[3:4]])
    # The holder and its nested write open twice; the two queued batches reuse the holder's.
    assert opens == 2
    # Nobody waits any more: the file is closed and a reader gets in at once.
    reader = duckdb.connect(str(path), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM sessions").fetchone() == (4,)
    finally:
        reader.close()


def test_hold_is_bounded_in_time(tmp_path: Path, seed_record_dict: dict[str, Any]) -> None:
    warehouse = DuckDBWarehouse(f"duckdb://{tmp_path / 'w.duckdb'}", hold_s=0.0)
    items = _analyzed(seed_record_dict, 3)
    warehouse.apply_sync(items[:1])
    # With no time to hold, every queued batch opens (and closes) the file itself.
    assert _queued_batches(warehouse, [items[1:2], items[2:3]]) == 3
    assert warehouse.count("sessions") == 3


def test_batches_in_flight_share_one_open_then_release(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    path = tmp_path / "w.duckdb"
    # No time bound on holding here: what is tested is when the file is let go.
    warehouse = DuckDBWarehouse(f"duckdb://{path}", hold_s=3600.0)
    items = _analyzed(seed_record_dict, 2)
    opened: list[int] = []
    real_open = warehouse._open

    def counting_open() -> duckdb.DuckDBPyConnection:
        opened.append(1)
        return real_open()

    warehouse._open = counting_open  # type: ignore[method-assign]

    async def two_batches() -> bool:
        async with warehouse.batch_in_flight():
            async with warehouse.batch_in_flight():
                await warehouse.apply(items[:1])
            # The first batch is done, the second still in flight: the file stays open for it.
            held_between = warehouse._held is not None
            await warehouse.apply(items[1:])
        return held_between

    assert asyncio.run(two_batches())
    assert len(opened) == 1
    # No batch in flight any more: the file is closed and a reader gets in at once.
    reader = duckdb.connect(str(path), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM sessions").fetchone() == (2,)
    finally:
        reader.close()


def test_one_batch_mixing_new_stored_and_older_revisions(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    warehouse = DuckDBWarehouse(f"duckdb://{tmp_path / 'w.duckdb'}")

    def item(record_id: str, revision: int) -> AnalyzedSession:
        record = decode_record({**seed_record_dict, "record_id": record_id, "revision": revision})
        return AnalyzedSession(record, run_analyzers(record, default_analyzers()))

    warehouse.apply_sync([item("kept", 3), item("replaced", 1)])
    result = warehouse.apply_sync([item("kept", 2), item("replaced", 2), item("new", 1)])
    assert sorted(result.applied) == ["new", "replaced"]
    assert result.stale == ["kept"]
    with duckdb.connect(str(warehouse.path), read_only=True) as reader:
        revisions = reader.execute("SELECT record_id, revision FROM sessions").fetchall()
        facts = reader.execute("SELECT count(*) FROM session_facts").fetchone()
    assert sorted(revisions) == [("kept", 3), ("new", 1), ("replaced", 2)]
    assert facts == (3,)
