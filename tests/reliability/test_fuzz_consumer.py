"""Fuzzing the consumer (hypothesis): whatever arrives on the queue, the service does not crash,
finishes in bounded time, and either applies the message or dead-letters it with a reason.

The oracle is the parsing itself: a body that ``decode_envelope`` + ``decode_record`` accept must
be applied, any other must land in the memory transport's dead list naming why.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalroom.analyzers import default_analyzers
from signalroom.config import AnalyzerSettings, ServiceSettings
from signalroom.destinations import Warehouse, open_warehouse
from signalroom.errors import SignalroomError
from signalroom.record import decode_record
from signalroom.service.consumer import Service
from signalroom.transports.base import OutgoingMessage
from signalroom.transports.envelope import decode_envelope, encode_payload
from signalroom.transports.memory import MemoryTransport, queue_state
from tests.reliability.records import SEED

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


def _envelope(data: Any, **attrs: Any) -> bytes:
    event = {"specversion": "1.0", "id": "fuzz", "type": "signalroom.session.v1", **attrs}
    event["data"] = data
    return json.dumps(event).encode()


def _record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SEED)
    data["session_id"] = f"fuzz-{uuid.uuid4().hex[:12]}"
    data.update(changes)
    return data


@st.composite
def wrong_types(draw: st.DrawFn) -> bytes:
    data = _record()
    field = draw(st.sampled_from([*sorted(data), "revision", "complete", "transcript", "usage"]))
    data[field] = draw(json_values)
    return _envelope(data)


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(10, 100_000))
    kind = draw(st.sampled_from(["list", "dict-in-record", "raw"]))
    if kind == "raw":
        return b"[" * depth + b"]" * depth
    nested = "[" * depth + "]" * depth
    if kind == "list":
        return b'{"specversion":"1.0","id":"d","type":"signalroom.session.v1","data":' + (
            nested.encode() + b"}"
        )
    body = json.dumps(_record(metadata={"k": "v"}))[:-1] + ',"deep":' + nested + "}"
    return b'{"specversion":"1.0","id":"d","type":"signalroom.session.v1","data":' + (
        body.encode() + b"}"
    )


@st.composite
def huge(draw: st.DrawFn) -> bytes:
    size = draw(st.integers(10_000, 3_000_000))
    field = draw(st.sampled_from(["session_id", "notes", "query", "unknown"]))
    text = "x" * size
    if field == "notes":
        return _envelope(_record(conversation_notes=[{"text": text}]))
    if field == "query":
        call = {"tool": "search_knowledge", "query": text, "timestamp": "2025-01-28T10:31:15"}
        return _envelope(_record(tool_calls=[call]))
    if field == "unknown":
        return _envelope(_record(), extra=text)
    return _envelope(_record(session_id=text))


@st.composite
def versions(draw: st.DrawFn) -> bytes:
    version = draw(
        st.one_of(st.text(max_size=12), st.integers(), st.sampled_from(["2.0", "1.9", "0.1", "1"]))
    )
    return _envelope(_record(schema_version=version))


@st.composite
def compressed(draw: st.DrawFn) -> bytes:
    """The gzip path: a valid record, or garbage in data_base64."""
    if draw(st.booleans()):
        record = json.dumps(_record(conversation_notes=[{"text": "y" * 20_000}])).encode()
        return encode_payload(record, "z")
    garbage = draw(st.text(max_size=200))
    return json.dumps({
        "specversion": "1.0", "id": "z", "type": "signalroom.session.v1",
        "signalroomencoding": "gzip", "data_base64": garbage,
    }).encode()  # fmt: skip


bodies = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=500).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    json_values.map(_envelope),
    wrong_types(),
    deep(),
    huge(),
    versions(),
    compressed(),
    st.just(_envelope(_record())).map(lambda _: _envelope(_record())),
)


def _accepted(body: bytes) -> bool:
    try:
        _, data = decode_envelope(body)
        decode_record(data)
    except SignalroomError:
        return False
    return True


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "warehouse.duckdb"
    wh = open_warehouse(f"duckdb://{path}")
    yield wh
    asyncio.run(wh.close())


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)  # fmt: skip
@given(batch=st.lists(bodies, min_size=1, max_size=4))
def test_any_message_is_applied_or_dead_lettered_with_a_reason(
    warehouse: Warehouse, batch: list[bytes]
) -> None:
    name = f"fuzz-{uuid.uuid4().hex}"
    transport = MemoryTransport(name)
    service = Service(
        transport, warehouse, default_analyzers(AnalyzerSettings()), settings=ServiceSettings()
    )

    async def run() -> None:
        await transport.publish([OutgoingMessage(f"m{i}", b) for i, b in enumerate(batch)])
        messages = await transport.consume(len(batch), 1.0)
        assert len(messages) == len(batch)
        await service.process(messages)

    asyncio.run(run())  # a batch that hangs is stopped by the test's timeout

    state = queue_state(name)
    dead = {msg.id: reason for msg, reason in state.dead}
    assert not state.inflight and not state.ready, "a message was left unfinished"
    for i, body in enumerate(batch):
        if _accepted(body):
            assert f"m{i}" not in dead, f"valid record dead-lettered: {dead.get(f'm{i}')}"
        else:
            assert f"m{i}" in dead, "an invalid message was not dead-lettered"
            assert len(dead[f"m{i}"]) > 10
    assert service.stats.dead_lettered == len(dead)
    assert service.stats.processed == len(batch) - len(dead)
