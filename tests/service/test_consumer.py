"""The consumer over the in-memory reference transport and a real DuckDB warehouse."""

from __future__ import annotations

import base64
import gc
import json
from typing import Any

import pytest

from signalroom.analyzers import default_analyzers
from signalroom.config import ServiceSettings
from signalroom.destinations.warehouse import Warehouse, open_warehouse
from signalroom.errors import DestinationError, DestinationRejectedError
from signalroom.service import Service
from signalroom.service.consumer import GC_FULL_EVERY
from signalroom.transports.base import Message
from signalroom.transports.memory import MemoryTransport, queue_state
from tests.destinations.conftest import create_database, drop_database
from tests.service.conftest import RecordingSink, dead, publish, record_body

FAST = ServiceSettings(idle_s=0.2, poll_s=0.05, retry_base_s=0.0, warehouse_attempts=1)


def make(queue: MemoryTransport, warehouse: Warehouse, *sinks: RecordingSink, **s: Any) -> Service:
    settings = FAST.model_copy(update=s)
    return Service(queue, warehouse, default_analyzers(), sinks, settings=settings)


async def test_processes_records_and_acks(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    bodies = [record_body(seed_record_dict, session_id=f"s{i}") for i in range(5)]
    await publish(queue, *bodies)
    stats = await make(queue, warehouse).run(until_idle=True)
    counts = {k: v for k, v in stats.as_dict().items() if not k.endswith("_at")}
    assert counts == {
        "processed": 5, "applied": 5, "skipped_stale": 0, "dead_lettered": 0,
        "redelivered": 0, "delivered": 0, "delivery_failed": 0,
    }  # fmt: skip
    assert stats.busy_s is not None and stats.busy_s > 0
    state = queue_state(queue.name)
    assert state.ready == [] and state.inflight == {}
    assert warehouse.count("sessions") == 5 and warehouse.count("analysis") == 25


async def test_full_collections_are_rare_while_running_and_restored_after(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    class Watching(MemoryTransport):
        async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
            seen.append(gc.get_threshold())
            return await super().consume(max_messages, timeout_s)

    watched = Watching(queue.name)
    await publish(watched, record_body(seed_record_dict))
    stats = await make(watched, warehouse).run(until_idle=True)
    assert stats.processed == 1
    assert seen and all(t[:2] == before[:2] and t[2] >= GC_FULL_EVERY for t in seen)
    assert gc.get_threshold() == before


async def test_undecodable_messages_are_dead_lettered_with_reason(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    envelope = json.loads(record_body(seed_record_dict))
    unknown_major = {**envelope, "data": {**envelope["data"], "schema_version": "7.0"}}
    invalid = {**envelope, "data": {**envelope["data"], "revision": -3}}
    bad_b64 = {k: v for k, v in envelope.items() if k != "data"} | {"data_base64": "%%%"}
    await publish(
        queue,
        b"not json at all",
        json.dumps(unknown_major).encode(),
        json.dumps(invalid).encode(),
        json.dumps(bad_b64).encode(),
        base64.b64encode(b"x"),
        record_body(seed_record_dict),
    )
    stats = await make(queue, warehouse).run(until_idle=True)
    reasons = dead(queue)
    assert stats.dead_lettered == 5 and stats.applied == 1
    assert reasons[0].startswith("InvalidRecordError: message is not a JSON envelope")
    assert reasons[1].startswith("UnknownSchemaVersionError: schema_version '7.0'")
    assert reasons[2].startswith("InvalidRecordError: invalid record: revision:")
    assert "data_base64 cannot be decoded" in reasons[3]


async def test_retryable_failure_is_retried_then_dead_lettered(
    queue: MemoryTransport, seed_record_dict: dict[str, Any]
) -> None:
    # A real, unreachable PostgreSQL: connection refused is retryable.
    down = open_warehouse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    await publish(queue, record_body(seed_record_dict))
    stats = await make(queue, down, max_attempts=3).run(until_idle=True)
    assert stats.redelivered == 2 and stats.dead_lettered == 1 and stats.applied == 0
    [(message, reason)] = queue_state(queue.name).dead
    assert message.delivery_count == 3
    assert reason.startswith("gave up after 3 attempts: DestinationError: cannot connect")


async def test_stale_and_redelivered_records_change_nothing(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    await publish(queue, record_body(seed_record_dict, revision=4))
    first = await make(queue, warehouse).run(until_idle=True)
    await publish(
        queue,
        record_body(seed_record_dict, revision=4),  # redelivery
        record_body(seed_record_dict, revision=2, complete=False),  # late checkpoint
    )
    second = await make(queue, warehouse).run(until_idle=True)
    assert first.applied == 1
    assert (second.processed, second.applied, second.skipped_stale) == (2, 0, 2)
    [stored] = list(warehouse.iter_records())
    assert stored.revision == 4 and stored.complete is True
    assert warehouse.count("analysis") == 5


async def test_optional_destination_fails_alone_and_is_retried(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    crm, hook = RecordingSink("crm"), RecordingSink("hook")
    crm.fail_with = DestinationError("crm is down")
    await publish(queue, record_body(seed_record_dict, revision=1))
    stats = await make(queue, warehouse, crm, hook).run(until_idle=True)
    assert stats.applied == 1 and stats.delivered == 1 and stats.delivery_failed == 1
    assert queue_state(queue.name).inflight == {}  # acked despite the CRM
    record_id = hook.received[0][0]
    assert hook.received == [(record_id, 1)] and crm.received == []
    status = {r[1]: (r[3], r[4], r[5]) for r in warehouse.deliveries()}  # type: ignore[attr-defined]
    # Two attempts: at once, and in the retry pass that ends --until-idle (backoff 0 here).
    assert status == {
        "crm": ("failed", 2, "DestinationError: crm is down"),
        "hook": ("delivered", 1, None),
    }
    crm.fail_with = None
    retried = await make(queue, warehouse, crm, hook).deliverer.retry_pass()
    assert retried == 1
    assert crm.received == [(record_id, 1)] and len(hook.received) == 1
    status = {r[1]: r[3] for r in warehouse.deliveries()}  # type: ignore[attr-defined]
    assert status == {"crm": "delivered", "hook": "delivered"}


async def test_rejected_delivery_is_not_retried(
    queue: MemoryTransport, warehouse: Warehouse, seed_record_dict: dict[str, Any]
) -> None:
    crm = RecordingSink("crm")
    crm.fail_with = DestinationRejectedError("field Industry__c does not exist")
    await publish(queue, record_body(seed_record_dict))
    service = make(queue, warehouse, crm, max_attempts=4)
    await service.run(until_idle=True)
    crm.fail_with = None
    assert await service.deliverer.retry_pass() == 0
    [row] = warehouse.deliveries()  # type: ignore[attr-defined]
    assert row[3:5] == ("failed", 4) and row[5].startswith("rejected: DestinationRejectedError")


@pytest.mark.postgres
async def test_refused_record_is_dead_lettered_alone(
    queue: MemoryTransport, seed_record_dict: dict[str, Any]
) -> None:
    # PostgreSQL refuses NUL characters in text: the data itself is bad, not retryable.
    name = create_database()
    warehouse = open_warehouse(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        await publish(
            queue,
            record_body(seed_record_dict, session_id="good-1"),
            record_body(seed_record_dict, session_id="bad\x00id"),
            record_body(seed_record_dict, session_id="good-2"),
        )
        stats = await make(queue, warehouse, max_attempts=5).run(until_idle=True)
        assert (stats.applied, stats.dead_lettered, stats.redelivered) == (2, 1, 0)
        [reason] = dead(queue)
        assert reason.startswith("DestinationRejectedError: warehouse refused the data")
        assert sorted(r.session_id for r in warehouse.iter_records()) == ["good-1", "good-2"]
    finally:
        await warehouse.close()
        drop_database(name)
