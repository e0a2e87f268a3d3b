"""The warehouse contract, run against DuckDB and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from signalroom.analyzers import default_analyzers, run_analyzers
from signalroom.destinations import AnalyzedSession, Warehouse, open_warehouse
from signalroom.destinations.schema import LATEST
from signalroom.record import SessionRecord, decode_record


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    wh = open_warehouse(warehouse_url)
    yield wh
    asyncio.run(wh.close())


def analyzed(data: dict[str, Any], **changes: Any) -> AnalyzedSession:
    record = decode_record({**data, **changes})
    return AnalyzedSession(record, run_analyzers(record, default_analyzers()))


def test_apply_writes_every_table_and_is_idempotent(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    item = analyzed(seed_record_dict, revision=1)
    first = warehouse.apply_sync([item])
    again = warehouse.apply_sync([item])
    assert first.applied == [item.record_id] and first.stale == []
    assert again.applied == [] and again.stale == [item.record_id]
    counts = {t: warehouse.count_rows(t) for t in ("sessions", "analysis", "session_facts",
                                               "signals", "tool_calls", "turns")}  # fmt: skip
    assert counts == {"sessions": 1, "analysis": 5, "session_facts": 1, "signals": 6,
                      "tool_calls": 2, "turns": 0}  # fmt: skip
    assert warehouse.schema_version() == LATEST  # type: ignore[attr-defined]


def test_only_newer_revision_applies_and_replaces_children(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    calls = seed_record_dict["tool_calls"]
    warehouse.apply_sync([analyzed(seed_record_dict, revision=5)])
    late = analyzed(seed_record_dict, revision=3, tool_calls=calls[:1])
    assert warehouse.apply_sync([late]).stale == [late.record_id]
    assert warehouse.count_rows("tool_calls") == 2
    newer = analyzed(seed_record_dict, revision=6, tool_calls=calls[:1])
    assert warehouse.apply_sync([newer]).applied == [newer.record_id]
    assert warehouse.count_rows("tool_calls") == 1
    assert warehouse.count_rows("analysis") == 5
    stored = warehouse.load_sessions([newer.record_id])[0]
    assert stored.record.revision == 6
    assert stored.results["outcome"].result["outcome"] == "qualified"


def test_duplicate_record_in_one_batch_keeps_the_highest_revision(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    low, high = analyzed(seed_record_dict, revision=1), analyzed(seed_record_dict, revision=2)
    result = warehouse.apply_sync([high, low])
    assert result.applied == [high.record_id] and result.stale == [low.record_id]
    assert next(warehouse.iter_records()).revision == 2


def test_session_facts_and_contract_columns(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    item = analyzed(
        seed_record_dict,
        turns=[{"turn_id": f"t{i}", "index": i, "e2e_latency_ms": float(100 * (i + 1))}
               for i in range(10)],
    )  # fmt: skip
    warehouse.apply_sync([item])
    stored = warehouse.load_sessions([item.record_id])[0]
    assert stored.record == item.record
    assert {k: v.version for k, v in stored.results.items()} == {
        k: v.version for k, v in item.results.items()
    }
    assert stored.results["lead_score"].result == item.results["lead_score"].result
    assert warehouse.count_rows("turns") == 10


def test_iter_records_since(warehouse: Warehouse, seed_record_dict: dict[str, Any]) -> None:
    items = [
        analyzed(seed_record_dict, session_id=f"s{i}", start_time=f"2025-0{i + 1}-10T09:00:00")
        for i in range(3)
    ]
    warehouse.apply_sync(items)
    assert len(list(warehouse.iter_records(page_size=2))) == 3
    recent = list(warehouse.iter_records(since=datetime(2025, 2, 1)))
    assert sorted(r.session_id for r in recent) == ["s1", "s2"]


def test_delete_record_and_by_email(warehouse: Warehouse, seed_record_dict: dict[str, Any]) -> None:
    john = analyzed(seed_record_dict)
    other_calls = [{**seed_record_dict["tool_calls"][1], "customer_email": "amy@example.org"}]
    amy = analyzed(seed_record_dict, session_id="amy", tool_calls=other_calls)
    warehouse.apply_sync([john, amy], ["crm"])
    assert warehouse.delete_by_email("JOHN@acme.com") == [john.record_id]
    assert warehouse.delete_by_email("nobody@example.org") == []
    assert [r.session_id for r in warehouse.iter_records()] == ["amy"]
    assert warehouse.delete_record(amy.record_id) is True
    assert warehouse.delete_record(amy.record_id) is False
    for table in ("sessions", "analysis", "session_facts", "signals", "tool_calls", "deliveries"):
        assert warehouse.count_rows(table) == 0, table


def test_deliveries_pending_failed_claimed_delivered(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    item = analyzed(seed_record_dict, revision=2)
    warehouse.apply_sync([item], ["crm", "hook"])
    entry = [(item.record_id, 2)]
    warehouse.mark_deliveries("crm", entry, "failed", "crm down")
    warehouse.mark_deliveries("hook", entry, "delivered")
    claim = dict(max_attempts=3, retry_base_s=0.0, retry_max_s=0.0, pending_timeout_s=3600)
    tasks = warehouse.claim_deliveries(["crm", "hook"], **claim)  # type: ignore[arg-type]
    assert [(t.destination, t.revision, t.attempts) for t in tasks] == [("crm", 2, 1)]
    # Claimed rows are pending now: a second service finds nothing to claim.
    assert warehouse.claim_deliveries(["crm"], **claim) == []  # type: ignore[arg-type]
    warehouse.mark_deliveries("crm", entry, "failed", "rejected", exhaust_attempts=3)
    assert warehouse.claim_deliveries(["crm"], **claim) == []  # type: ignore[arg-type]
    rows = {r[1]: r for r in warehouse.deliveries()}  # type: ignore[attr-defined]
    assert rows["crm"][3:] == ("failed", 3, "rejected")
    assert rows["hook"][3:] == ("delivered", 1, None)
    # A newer revision resets the status to pending for every destination.
    warehouse.apply_sync([analyzed(seed_record_dict, revision=3)], ["crm", "hook"])
    rows = {r[1]: r for r in warehouse.deliveries()}  # type: ignore[attr-defined]
    assert {r[2:5] for r in rows.values()} == {(3, "pending", 0)}


def test_replace_analysis_only_for_current_revision(
    warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    warehouse.apply_sync([analyzed(seed_record_dict, revision=2)])
    record = decode_record({**seed_record_dict, "revision": 2})
    results = run_analyzers(record, default_analyzers())
    results["lead_score"] = type(results["lead_score"])("lead_score", "9.9", {"score": 1.0})
    assert warehouse.replace_analysis([AnalyzedSession(record, results)]) == 1
    stale = decode_record({**seed_record_dict, "revision": 1})
    assert warehouse.replace_analysis([AnalyzedSession(stale, results)]) == 0
    stored = warehouse.load_sessions([record.record_id])[0].results["lead_score"]
    assert (stored.version, stored.result) == ("9.9", {"score": 1.0})


def test_aware_times_and_incomplete_records_roundtrip(warehouse: Warehouse) -> None:
    record = SessionRecord.model_validate(
        {"session_id": "s", "start_time": "2025-01-01T10:00:00+02:00", "complete": False}
    )
    warehouse.apply_sync([AnalyzedSession(record, run_analyzers(record, default_analyzers()))])
    stored = next(warehouse.iter_records())
    assert stored == record


def test_a_postgres_urls_connect_timeout_bounds_each_write_to_a_server_that_is_down(
    seed_record_dict: dict[str, Any],
) -> None:
    from signalroom.errors import ConfigError, DestinationError

    down = open_warehouse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    record = decode_record(seed_record_dict)
    session = AnalyzedSession(record, run_analyzers(record, default_analyzers()))
    with pytest.raises(DestinationError, match="cannot connect to PostgreSQL within 1s"):
        down.apply_sync([session])
    asyncio.run(down.close())
    with pytest.raises(ConfigError, match="connect_timeout='soon' must be a whole number"):
        open_warehouse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=soon")
