"""One bad message never touches another: each reproduction of a fault that once took its
batch (or the service) down, run against real stores and brokers."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis

from signalroom.analyzers import default_analyzers
from signalroom.config import ServiceSettings
from signalroom.destinations.warehouse import Warehouse, open_warehouse
from signalroom.errors import TransportError
from signalroom.service import Service
from signalroom.transports.base import Message
from signalroom.transports.memory import MemoryTransport, queue_state
from signalroom.transports.redis_streams import from_url as redis_from_url
from tests.destinations.conftest import ADMIN_URL
from tests.service.conftest import RecordingSink, dead, publish, record_body

FAST = ServiceSettings(idle_s=0.3, poll_s=0.05, retry_base_s=0.0, warehouse_attempts=1)
REDIS = "redis://127.0.0.1:6379/0"


def make(transport: Any, warehouse: Warehouse, *sinks: RecordingSink, **s: Any) -> Service:
    return Service(
        transport, warehouse, default_analyzers(), sinks, settings=FAST.model_copy(update=s)
    )


def sessions(warehouse: Warehouse) -> list[str]:
    return sorted(r.session_id for r in warehouse.iter_records())


# -- 1. a Redis entry that is not ours ---------------------------------------------------------


@pytest.mark.redis
async def test_a_redis_entry_with_a_non_utf8_id_is_dead_lettered_not_a_crash(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    stream = f"iso-{uuid.uuid4().hex[:10]}"
    client = aioredis.Redis.from_url(REDIS)
    good = [record_body(seed_record_dict, session_id=f"good-{i}") for i in range(2)]
    try:
        await client.xadd(stream, {b"id": b"g0", b"body": good[0]})
        await client.xadd(stream, {b"id": b"\xff\xfe", b"body": good[0]})
        await client.xadd(stream, {b"id": b"g1", b"body": good[1]})
        await client.xadd(stream, {b"surprise": b"\x00\xff"})  # neither id nor body
        url = f"duckdb://{tmp_path / 'w.duckdb'}"
        proc = subprocess.run(
            [sys.executable, "-m", "signalroom", "service", "--until-idle", "--json",
             "--home", str(tmp_path), "--queue", f"{REDIS}?stream={stream}", "--warehouse", url],
            capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr and "unexpected" not in proc.stderr
        warehouse = open_warehouse(url)
        try:
            # the non-UTF-8 id carries a valid record: it is applied (same record as g0)
            assert sessions(warehouse) == ["good-0", "good-1"]
        finally:
            await warehouse.close()
        letters = await client.xrange(f"{stream}.dlq")
        assert len(letters) == 1
        assert letters[0][1][b"reason"].startswith(b"InvalidRecordError: message is not a JSON")
        assert await client.xlen(stream) == 0
        assert (await client.xpending(stream, "signalroom"))["pending"] == 0
    finally:
        await client.delete(stream, f"{stream}.dlq")
        await client.aclose()


@pytest.mark.redis
async def test_redis_messages_are_built_from_any_fields() -> None:
    stream = f"iso-{uuid.uuid4().hex[:10]}"
    transport = redis_from_url(f"{REDIS}?stream={stream}")
    client = aioredis.Redis.from_url(REDIS)
    try:
        await transport.consume(1, 0.05)  # creates the group
        await client.xadd(stream, {b"id": b"\xff\xfe\x00", b"body": b"\xc3\x28"})
        [msg] = await transport.consume(5, 2.0)
        assert msg.id == "\\xff\\xfe\x00" and msg.body == b"\xc3\x28"
        await transport.dead_letter(msg, "test")
    finally:
        await client.delete(stream, f"{stream}.dlq")
        await client.aclose()
        await transport.close()


# -- 2. a time no store can hold ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_time", "0001-01-01T00:00:00+05:00"), ("end_time", "9999-12-31T23:59:59-05:00")],
)
async def test_an_out_of_range_time_dead_letters_that_record_alone(
    warehouse_url: str, seed_record_dict: dict[str, Any], field: str, value: str
) -> None:
    queue = MemoryTransport(f"iso-{uuid.uuid4().hex[:8]}")
    bodies = [record_body(seed_record_dict, session_id=f"good-{i}") for i in range(8)]
    envelope = json.loads(bodies[0])
    envelope["data"].update(session_id="bad-time", record_id="", **{field: value})
    bodies.insert(4, json.dumps(envelope).encode())
    await publish(queue, *bodies)
    warehouse = open_warehouse(warehouse_url)
    try:
        stats = await make(queue, warehouse, max_attempts=5).run(until_idle=True)
        assert (stats.applied, stats.dead_lettered, stats.redelivered) == (8, 1, 0)
        [(message, reason)] = queue_state(queue.name).dead
        assert message.id == "m4" and message.delivery_count == 1
        assert reason.startswith(f"InvalidRecordError: invalid record: {field}: ")
        assert "outside the supported range" in reason and reason.endswith("(attempt 1)")
        assert sessions(warehouse) == [f"good-{i}" for i in range(8)]
    finally:
        await warehouse.close()


# -- 3. a poison batch -------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["².0", "١.0", "1️⃣.2"])
async def test_a_version_in_other_digits_is_dead_lettered_and_its_neighbour_applied(
    tmp_path: Path, seed_record_dict: dict[str, Any], version: str
) -> None:
    queue = MemoryTransport(f"iso-{uuid.uuid4().hex[:8]}")
    envelope = json.loads(record_body(seed_record_dict, session_id="poison"))
    envelope["data"]["schema_version"] = version
    await publish(
        queue, json.dumps(envelope).encode(), record_body(seed_record_dict, session_id="good")
    )
    warehouse = open_warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    try:
        stats = await make(queue, warehouse, max_attempts=5).run(until_idle=True)
        assert (stats.processed, stats.applied, stats.dead_lettered) == (1, 1, 1)
        assert stats.redelivered == 0
        [reason] = dead(queue)
        assert reason.startswith("UnknownSchemaVersionError: schema_version")
        assert "ASCII digits" in reason
        assert sessions(warehouse) == ["good"]
    finally:
        await warehouse.close()


class BrokerHiccup(MemoryTransport):
    """The reference transport with a broker that fails the first ``failures`` dead-letters."""

    def __init__(self, name: str, failures: int) -> None:
        super().__init__(name)
        self.failures = failures

    async def dead_letter(self, message: Message, reason: str) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise TransportError("broker dropped the connection")
        await super().dead_letter(message, reason)


async def test_a_failure_outside_any_message_counts_an_attempt_and_ends(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    # The dead-letter call itself fails twice: the message is nacked (an attempt counted) each
    # time; the good record beside it is applied once, on its first delivery.
    queue = BrokerHiccup(f"iso-{uuid.uuid4().hex[:8]}", failures=2)
    await publish(queue, b"\xff not json", record_body(seed_record_dict, session_id="good"))
    warehouse = open_warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    try:
        stats = await make(queue, warehouse, max_attempts=3).run(until_idle=True)
        state = queue_state(queue.name)
        assert not state.ready and not state.inflight
        [(message, reason)] = state.dead
        assert message.delivery_count == 3 and stats.redelivered == 2
        assert reason.startswith("InvalidRecordError: message is not a JSON envelope")
        assert reason.endswith("(attempt 3)")
        assert (stats.applied, stats.processed) == (1, 1)
        assert sessions(warehouse) == ["good"]
    finally:
        await warehouse.close()


# -- 4. nothing acked is nacked ----------------------------------------------------------------


class Watching(MemoryTransport):
    """The reference transport, remembering which messages were acked and nacked."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.acked: list[str] = []
        self.nacked: list[str] = []

    async def ack(self, message: Message) -> None:
        self.acked.append(message.id)
        await super().ack(message)

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        self.nacked.append(message.id)
        await super().nack(message, delay_s)


class DropsWarehouse(RecordingSink):
    """An optional destination during whose send the warehouse's database connections drop."""

    def __init__(self, name: str, database: str) -> None:
        super().__init__(name)
        self.database = database

    async def _write(self, batch: Any) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            )
        await super()._write(batch)


@pytest.mark.postgres
async def test_a_failure_after_the_ack_never_nacks_what_was_acked(
    pg_url: str, seed_record_dict: dict[str, Any]
) -> None:
    queue = Watching(f"iso-{uuid.uuid4().hex[:8]}")
    await publish(queue, *(record_body(seed_record_dict, session_id=f"s{i}") for i in range(4)))
    warehouse = open_warehouse(pg_url)
    sink = DropsWarehouse("crm", pg_url.rsplit("/", 1)[1])
    try:
        stats = await make(queue, warehouse, sink).run(until_idle=True)
        assert sorted(queue.acked) == ["m0", "m1", "m2", "m3"]
        assert queue.nacked == [] and stats.redelivered == 0 and stats.dead_lettered == 0
        assert stats.applied == 4 and sessions(warehouse) == ["s0", "s1", "s2", "s3"]
        # the delivery whose bookkeeping failed is sent again by the retry pass, not by a nack
        assert {rid for rid, _ in sink.received} == {r.record_id for r in warehouse.iter_records()}
    finally:
        await warehouse.close()


class GarbledBroker(MemoryTransport):
    """A broker client that fails in a way no transport mapped (as the Redis one once did)."""

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


async def test_an_unmapped_consume_error_is_named_not_unexpected(tmp_path: Path) -> None:
    warehouse = open_warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    try:
        service = make(GarbledBroker(f"iso-{uuid.uuid4().hex[:8]}"), warehouse, unreachable_s=0.2)
        with pytest.raises(TransportError) as info:
            await service.run(until_idle=True)
        message = str(info.value)
        assert (
            message.startswith("queue memory://")
            and "consume failed: UnicodeDecodeError" in message
        )
        assert info.value.retryable and info.value.hint
    finally:
        await warehouse.close()


# -- 10. forward compatibility ------------------------------------------------------------------


async def test_fields_of_a_newer_minor_are_stored_and_passed_on(
    warehouse_url: str, seed_record_dict: dict[str, Any]
) -> None:
    # An agent deployed before the service sends fields this build does not know.
    from signalroom.destinations.base import AnalyzedSession
    from signalroom.destinations.webhook import payload

    queue = MemoryTransport(f"iso-{uuid.uuid4().hex[:8]}")
    envelope = json.loads(record_body(seed_record_dict, session_id="newer"))
    envelope["data"].update(schema_version="1.3", sentiment_v2={"score": 0.4, "model": "x"})
    envelope["data"]["tool_calls"][0]["retries"] = 2
    await publish(queue, json.dumps(envelope).encode())
    warehouse = open_warehouse(warehouse_url)
    try:
        stats = await make(queue, warehouse).run(until_idle=True)
        assert (stats.applied, stats.dead_lettered) == (1, 0)
        [stored] = list(warehouse.iter_records())
        raw = json.loads(stored.model_dump_json())
        assert raw["schema_version"] == "1.3"
        assert raw["sentiment_v2"] == {"score": 0.4, "model": "x"}
        assert raw["tool_calls"][0]["retries"] == 2
        sent = payload(AnalyzedSession(stored, {}), include_record=True)["data"]["record"]
        assert sent["sentiment_v2"] == {"score": 0.4, "model": "x"}
    finally:
        await warehouse.close()


async def test_a_record_failing_a_write_as_retryable_is_retried_alone(
    tmp_path: Path, seed_record_dict: dict[str, Any]
) -> None:
    # A data-dependent failure the warehouse reports as retryable (as OverflowError once was):
    # the batch is split, the others are applied on their first delivery, and the one record
    # is retried alone until max_attempts, then dead-lettered with the count and the cause.
    from signalroom.destinations.duckdb import DuckDBWarehouse

    class FailsOnOne(DuckDBWarehouse):
        """The real DuckDB warehouse, failing whenever one given record is in the batch."""

        def apply_sync(self, batch: Any, pending: Any = ()) -> Any:
            if any(s.record.session_id == "poison" for s in batch):
                raise OverflowError("date value out of range")
            return super().apply_sync(batch, pending)

    queue = MemoryTransport(f"iso-{uuid.uuid4().hex[:8]}")
    names = ["a", "b", "poison", "c", "d"]
    await publish(queue, *(record_body(seed_record_dict, session_id=n) for n in names))
    warehouse = FailsOnOne(f"duckdb://{tmp_path / 'w.duckdb'}")
    try:
        stats = await make(queue, warehouse, max_attempts=3).run(until_idle=True)
        assert (stats.applied, stats.dead_lettered, stats.redelivered) == (4, 1, 2)
        [(message, reason)] = queue_state(queue.name).dead
        assert message.id == "m2" and message.delivery_count == 3
        assert reason == (
            "gave up after 3 attempts: DestinationError: warehouse: OverflowError: "
            "date value out of range"
        )
        assert sessions(warehouse) == ["a", "b", "c", "d"]
    finally:
        await warehouse.close()


async def test_a_warehouse_that_is_down_fails_the_batch_together(
    seed_record_dict: dict[str, Any],
) -> None:
    # Splitting stops after a few records fail alike: all are put back, an attempt counted
    # each time, and dead-lettered together only once max_attempts is reached.
    from signalroom.service.consumer import OUTAGE_PROBES

    down = open_warehouse("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1")
    queue = MemoryTransport(f"iso-{uuid.uuid4().hex[:8]}")
    count = OUTAGE_PROBES + 3
    await publish(queue, *(record_body(seed_record_dict, session_id=f"s{i}") for i in range(count)))
    stats = await make(queue, down, max_attempts=2).run(until_idle=True)
    assert (stats.applied, stats.redelivered, stats.dead_lettered) == (0, count, count)
    reasons = dead(queue)
    assert len(reasons) == count
    assert all(
        r.startswith("gave up after 2 attempts: DestinationError: cannot connect") for r in reasons
    )
    await down.close()
