"""Per-message isolation as a property, fuzzed on every transport with a real broker and on
both warehouses.

Hypothesis builds batches of 1-4 messages (``fuzz_inputs``): valid records, records with any
field mutated, envelopes with any attribute mutated, damaged bytes, and, on Redis and SQS,
entries written around our publisher with odd ids, fields and attributes. Each batch is
published, consumed and handed to ``Service.process``; every operation the service does on the
broker is recorded (``Ledger``, a pass-through around the real transport). For each message:

* it is settled exactly once (one ack or one dead letter) and never nacked: the warehouse is
  healthy, so every failure here is the message's own and retrying cannot help;
* one the reference decoder refuses is dead-lettered with that decoder's reason and its
  attempt count; one it accepts is acked, unless the warehouse refuses that record's data
  (``DestinationRejectedError``, dead-lettered alone);
* every other message of its batch is applied regardless.

At the end: nothing is left to deliver, the broker's dead-letter queue holds exactly the
dead-lettered messages, every acked record is in the warehouse, and the unknown fields of
newer-minor records are kept in the stored record.

``SIGNALROOM_FUZZ_BATCHES`` sets batches per backend (default 100, about 250 messages);
``signalroom soak`` mixes the same kinds of bad messages into a long run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalroom.analyzers import default_analyzers
from signalroom.config import ServiceSettings
from signalroom.destinations.warehouse import Warehouse, open_warehouse
from signalroom.errors import SignalroomError
from signalroom.service import Service
from signalroom.service.consumer import reason_of
from signalroom.transports import open_transport
from signalroom.transports.base import Message, OutgoingMessage, Transport
from signalroom.transports.envelope import decode_message
from tests.destinations.conftest import create_database, drop_database
from tests.reliability.fuzz_inputs import Case, batches, texts

pytestmark = pytest.mark.fuzz

BATCHES = int(os.environ.get("SIGNALROOM_FUZZ_BATCHES", "100"))
REDIS = "redis://127.0.0.1:6379/0"
NATS = "nats://127.0.0.1:4222"


class Ledger:
    """The real transport, with a record of every settle operation the service asks for."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.url = inner.url
        self.max_message_bytes = inner.max_message_bytes
        self.ops: dict[int, list[tuple[str, str]]] = defaultdict(list)

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        await self.inner.publish(batch)

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        return await self.inner.consume(max_messages, timeout_s)

    async def ack(self, message: Message) -> None:
        await self.inner.ack(message)
        self.ops[id(message)].append(("ack", ""))

    async def ack_many(self, messages: Sequence[Message]) -> None:
        """The backend's own batch ack where it has one (Redis), as the service would use it."""
        ack_many = getattr(self.inner, "ack_many", None)
        if ack_many is not None:
            await ack_many(messages)
        else:
            for message in messages:
                await self.inner.ack(message)
        for message in messages:
            self.ops[id(message)].append(("ack", ""))

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        await self.inner.nack(message, delay_s)
        self.ops[id(message)].append(("nack", ""))

    async def dead_letter(self, message: Message, reason: str) -> None:
        await self.inner.dead_letter(message, reason)
        self.ops[id(message)].append(("dead", reason))

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Backend:
    """One broker: how to open a queue on it, read its dead letters, and write around us."""

    name: str
    url: Callable[[str], str]
    dead_letters: Callable[[Transport, str], Awaitable[list[tuple[bytes, str]]]]
    inject: Callable[[str, Any], Awaitable[None]] | None = None
    cleanup: Callable[[str], Awaitable[None]] | None = None


@dataclass
class Tally:
    messages: int = 0
    dead: list[str] = field(default_factory=list)
    acked_ids: set[str] = field(default_factory=set)
    kept_extras: set[str] = field(default_factory=set)
    refused_at_publish: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


# -- brokers -------------------------------------------------------------------------------------


async def _memory_dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
    from signalroom.transports.memory import queue_state

    return [(m.body, r) for m, r in queue_state(name).dead]


async def _spool_dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
    from signalroom.transports.spool import SpoolTransport

    assert isinstance(transport, SpoolTransport)
    dlq = SpoolTransport(transport.directory, queue=f"{name}.dlq")
    try:
        found: list[tuple[bytes, str]] = []
        while batch := await dlq.consume(100, timeout_s=0):
            found += [(m.body, m.attributes["reason"]) for m in batch]
        return found
    finally:
        await dlq.close()


async def _redis_dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS)
    try:
        entries = await client.xrange(f"{name}.dlq")
        return [(f[b"payload"], f[b"reason"].decode()) for _, f in entries]
    finally:
        await client.aclose()


async def _redis_inject(name: str, fields: Any) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS)
    try:
        await client.xadd(name, fields)
    finally:
        await client.aclose()


async def _redis_cleanup(name: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS)
    try:
        await client.delete(name, f"{name}.dlq")
    finally:
        await client.aclose()


async def _nats_dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
    from tests.transports.test_nats import nats_dead_letters

    return await nats_dead_letters(transport)  # type: ignore[arg-type]


async def _nats_cleanup(name: str) -> None:
    from signalroom.transports.nats_js import from_url
    from tests.transports.test_nats import delete_stream

    await delete_stream(from_url(f"{NATS}/{name}").stream)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():  # fmt: skip
            mp.setenv(key, value)
        for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
            mp.delenv(key, raising=False)
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def pubsub_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.transports.pubsub_server import generate_stubs

    stubs = generate_stubs(tmp_path_factory.mktemp("pubsub-stubs"))
    script = Path(__file__).parents[1] / "transports" / "pubsub_server.py"
    proc = subprocess.Popen([sys.executable, str(script), str(stubs)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), f"pubsub stand-in did not start: {line!r}"
        host = f"127.0.0.1:{line.split()[1]}"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PUBSUB_EMULATOR_HOST", host)
            yield host
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _sqs_backend(endpoint: str) -> Backend:
    import boto3

    from tests.transports.test_sqs import sqs_dead_letters

    async def dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
        return await asyncio.to_thread(sqs_dead_letters, transport, endpoint)  # type: ignore[arg-type]

    async def inject(name: str, raw: Any) -> None:
        client = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
        url = client.get_queue_url(QueueName=name)["QueueUrl"]
        await asyncio.to_thread(client.send_message, QueueUrl=url, **raw)

    return Backend(
        "sqs", lambda n: f"sqs://{n}?region=us-east-1&endpoint_url={endpoint}", dead, inject
    )


def _pubsub_backend() -> Backend:
    from tests.transports.test_pubsub import pubsub_dead_letters

    async def dead(transport: Transport, name: str) -> list[tuple[bytes, str]]:
        return await asyncio.to_thread(pubsub_dead_letters, transport)  # type: ignore[arg-type]

    return Backend("pubsub", lambda n: f"pubsub://test-project/{n}?timeout=10", dead)


# -- what the broker is handed around our publisher ----------------------------------------------


@st.composite
def redis_raw(draw: st.DrawFn, case: Case) -> dict[bytes, bytes]:
    """The fields of an XADD by some other client: any id bytes, body missing or present."""
    fields: dict[bytes, bytes] = {}
    if draw(st.booleans()):
        fields[b"id"] = draw(st.binary(max_size=40))
    if draw(st.integers(0, 4)):
        fields[b"body"] = case.body
    if draw(st.booleans()) or not fields:
        fields[draw(st.binary(min_size=1, max_size=10))] = draw(st.binary(max_size=20))
    return fields


@st.composite
def sqs_raw(draw: st.DrawFn, case: Case) -> dict[str, Any]:
    """A SendMessage by some other client: odd attributes, a body claimed to be base64."""
    attributes: dict[str, Any] = {}
    if draw(st.booleans()):
        attributes["ce-id"] = {"DataType": "String", "StringValue": draw(_attr_text) or "x"}
    encoding = draw(st.sampled_from([None, "base64", "gzip", "base64"]))
    if encoding:
        attributes["signalroom-encoding"] = {"DataType": "String", "StringValue": encoding}
    body = case.body.decode("utf-8", "replace").replace("\x00", "") or "{}"
    return {"MessageBody": body, "MessageAttributes": attributes}


# SQS attribute values must be XML characters.
_attr_text = texts.map(lambda t: "".join(c for c in t if c.isprintable())[:100])


# -- the property --------------------------------------------------------------------------------


def _expect(body: bytes) -> tuple[str, str]:
    """What the reference decoder says: ("ok", record_id) or ("refused", reason prefix)."""
    try:
        _, record = decode_message(body)
    except SignalroomError as exc:
        return "refused", reason_of(exc)
    return "ok", record.record_id


async def _check_batch(
    transport: Ledger, service: Service, backend: Backend, queue: str, cases: list[Case],
    raw: list[Any], tally: Tally,
) -> None:  # fmt: skip
    sent = 0
    for case in cases:
        try:
            await transport.publish([OutgoingMessage(case.id, case.body)])
            sent += 1
        except SignalroomError:  # refused at publish (too large, not carried): the outbox parks it
            tally.refused_at_publish += 1
    for fields in raw:
        assert backend.inject is not None
        await backend.inject(queue, fields)
        sent += 1
    messages: list[Message] = []
    deadline = time.monotonic() + 30
    while len(messages) < sent and time.monotonic() < deadline:
        messages += await transport.consume(sent - len(messages), 1.0)
    assert len(messages) == sent, f"{sent} sent, {len(messages)} delivered"

    await service.process(messages)

    for msg in messages:
        ops = transport.ops.pop(id(msg), [])
        what, detail = _expect(msg.body)
        label = f"message {msg.id!r} ({what}: {detail[:120]})"
        assert [op for op, _ in ops] in (["ack"], ["dead"]), f"{label} settled as {ops}"
        op, reason = ops[0]
        assert reason.isprintable(), f"{label}: reason {reason!r} is not one printable line"
        tally.messages += 1
        if what == "refused":
            assert op == "dead", f"{label} was acked"
            assert reason == f"{detail[:1980]} (attempt {msg.delivery_count})"[:2000] or (
                reason.startswith(detail[:200])
            ), f"{label} dead-lettered as {reason!r}"
            tally.outcomes["refused by the decoder"] += 1
        elif op == "dead":
            assert reason.startswith("DestinationRejectedError: "), f"{label}: {reason!r}"
            assert reason.endswith(f"(attempt {msg.delivery_count})")
            tally.outcomes["refused by the warehouse"] += 1
        else:
            tally.acked_ids.add(detail)
            tally.outcomes["applied"] += 1
            if b"fz_added_in_1_9" in msg.body:
                tally.kept_extras.add(detail)
        if op == "dead":
            tally.dead.append(reason)


@asynccontextmanager
async def _opened(backend: Backend, warehouse_url: str) -> AsyncIterator[tuple[str, Ledger, Warehouse]]:  # fmt: skip
    queue = f"fz{uuid.uuid4().hex[:10]}"
    transport = Ledger(open_transport(backend.url(queue)))
    warehouse = open_warehouse(warehouse_url)
    try:
        yield queue, transport, warehouse
    finally:
        await transport.close()
        await warehouse.close()
        if backend.cleanup is not None:
            await backend.cleanup(queue)


def run_property(backend: Backend, warehouse_url: str, raw: Any = None) -> Tally:
    tally = Tally()
    loop = asyncio.new_event_loop()

    ctx = _opened(backend, warehouse_url)
    queue, transport, warehouse = loop.run_until_complete(ctx.__aenter__())
    service = Service(
        transport, warehouse, default_analyzers(),
        settings=ServiceSettings(retry_base_s=0.0, warehouse_attempts=1, max_attempts=5),
    )  # fmt: skip
    extra = st.just([]) if raw is None else st.lists(st.data(), max_size=2)

    @settings(
        max_examples=BATCHES, deadline=None, derandomize=False, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(cases=batches, data=st.data(), extras=extra)
    def one_batch(cases: list[Case], data: st.DataObject, extras: list[Any]) -> None:
        around = [data.draw(raw(c)) for c in cases[: len(extras)]] if raw is not None else []
        loop.run_until_complete(
            _check_batch(transport, service, backend, queue, cases, around, tally)
        )

    try:
        one_batch()
        loop.run_until_complete(_finish(backend, queue, transport, warehouse, tally))
    finally:
        loop.run_until_complete(ctx.__aexit__(None, None, None))
        loop.close()
    return tally


async def _finish(
    backend: Backend, queue: str, transport: Ledger, warehouse: Warehouse, tally: Tally
) -> None:
    assert await transport.consume(50, 0.5) == [], "a message was left to deliver"
    letters = await backend.dead_letters(transport.inner, queue)
    assert len(letters) == len(tally.dead), "the dead-letter queue differs from what was sent"
    stored = {r.record_id: r for r in warehouse.iter_records()}
    missing = tally.acked_ids - set(stored)
    assert not missing, f"acked but not in the warehouse: {sorted(missing)[:3]}"
    for record_id in tally.kept_extras:
        extra = stored[record_id].model_extra or {}
        assert extra.get("fz_added_in_1_9") == {"nested": [1, "two"]}, record_id
    assert tally.outcomes["applied"] and tally.outcomes["refused by the decoder"], tally.outcomes


# -- backends × warehouses ----------------------------------------------------------------------


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb://{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = create_database()
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_database(name)


def _report(name: str, tally: Tally) -> None:
    print(f"\n{name}: {tally.messages} messages, {dict(tally.outcomes)}, "
          f"{tally.refused_at_publish} refused at publish")  # fmt: skip


def test_memory_duckdb(duckdb_url: str) -> None:
    tally = run_property(Backend("memory", lambda n: f"memory://{n}", _memory_dead), duckdb_url)
    _report("memory + duckdb", tally)


@pytest.mark.postgres
def test_memory_postgres(postgres_url: str) -> None:
    tally = run_property(Backend("memory", lambda n: f"memory://{n}", _memory_dead), postgres_url)
    _report("memory + postgres", tally)


def test_spool_duckdb(tmp_path: Path, duckdb_url: str) -> None:
    backend = Backend("spool", lambda n: f"spool://{tmp_path / 'spool'}?queue={n}", _spool_dead)
    _report("spool + duckdb", run_property(backend, duckdb_url))


def _redis() -> Backend:
    return Backend(
        "redis", lambda n: f"{REDIS}?stream={n}", _redis_dead, _redis_inject, _redis_cleanup
    )


@pytest.mark.redis
def test_redis_duckdb(duckdb_url: str) -> None:
    _report("redis + duckdb", run_property(_redis(), duckdb_url, raw=redis_raw))


@pytest.mark.redis
@pytest.mark.postgres
def test_redis_postgres(postgres_url: str) -> None:
    _report("redis + postgres", run_property(_redis(), postgres_url, raw=redis_raw))


@pytest.mark.nats
def test_nats_duckdb(duckdb_url: str) -> None:
    backend = Backend("nats", lambda n: f"{NATS}/{n}", _nats_dead, cleanup=_nats_cleanup)
    _report("nats + duckdb", run_property(backend, duckdb_url))


@pytest.mark.contract
def test_sqs_duckdb(moto: str, duckdb_url: str) -> None:
    _report("sqs + duckdb", run_property(_sqs_backend(moto), duckdb_url, raw=sqs_raw))


@pytest.mark.contract
def test_pubsub_duckdb(pubsub_host: str, duckdb_url: str) -> None:
    _report("pubsub + duckdb", run_property(_pubsub_backend(), duckdb_url))
