"""Redis Streams backend against the local Redis (127.0.0.1:6379), unique streams per test."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from signalroom.errors import ConfigError, TransportError
from signalroom.transports.base import OutgoingMessage, Transport
from signalroom.transports.redis_streams import RedisStreamsTransport, from_url, redact_url
from tests.transports.contract import TransportContract, collect, make_body

pytestmark = pytest.mark.redis

SERVER = "redis://127.0.0.1:6379/0"


class TestRedisContract(TransportContract):
    lease_s = 1.5

    async def make_transport(self, name: str) -> Transport:
        return from_url(f"{SERVER}?stream={name}&lease={self.lease_s}")

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        client = aioredis.Redis.from_url(SERVER)
        try:
            entries = await client.xrange(f"{name}.dlq")
            return [(f[b"payload"], f[b"reason"].decode()) for _, f in entries]
        finally:
            await client.aclose()

    async def cleanup(self, name: str) -> None:
        client = aioredis.Redis.from_url(SERVER)
        try:
            await client.delete(name, f"{name}.dlq")
        finally:
            await client.aclose()


def test_url_options_are_read() -> None:
    t = from_url("redis://u:secret@127.0.0.1:6379/2?stream=calls&group=g&maxlen=1000&max_bytes=10")
    assert (t.stream, t.group, t.maxlen, t.max_message_bytes) == ("calls", "g", 1000, 10)
    assert "secret" not in t.url


def test_unknown_url_parameter_is_named() -> None:
    with pytest.raises(ConfigError, match="strem"):
        from_url("redis://127.0.0.1:6379/0?strem=typo")


def test_password_is_redacted() -> None:
    assert (
        redact_url("rediss://user:pw@host:6380/0?stream=s")
        == "rediss://user:***@host:6380/0?stream=s"
    )


async def test_unreachable_server_is_a_retryable_transport_error() -> None:
    transport = from_url("redis://127.0.0.1:1/0?stream=nowhere")
    with pytest.raises(TransportError) as info:
        await transport.publish([OutgoingMessage(id="a", body=b"{}")])
    assert info.value.retryable and "is Redis running" in (info.value.hint or "")
    await transport.close()


async def test_dead_letter_entry_names_original_id_and_count() -> None:
    name = "dl-fields-" + make_body(0).hex()[-10:]
    transport = from_url(f"{SERVER}?stream={name}")
    client = aioredis.Redis.from_url(SERVER)
    try:
        await transport.publish([OutgoingMessage(id="rec-1", body=b"{}")])
        (msg,) = await collect(transport, 1, ack=False)
        await transport.dead_letter(msg, "unknown schema major 2")
        ((_, fields),) = await client.xrange(f"{name}.dlq")
        assert fields[b"original_id"] == b"rec-1" and fields[b"delivery_count"] == b"1"
        assert await client.xlen(name) == 0
        assert "1 dead letters" in await transport.check()
    finally:
        await client.delete(name, f"{name}.dlq")
        await client.aclose()
        await transport.close()


async def test_keep_acked_leaves_entries_for_other_groups() -> None:
    name = "keep-" + make_body(0).hex()[-10:]
    transport: RedisStreamsTransport = from_url(f"{SERVER}?stream={name}&keep_acked=1")
    client = aioredis.Redis.from_url(SERVER)
    try:
        await transport.publish([OutgoingMessage(id="r", body=b"{}")])
        await collect(transport, 1)
        assert await client.xlen(name) == 1
        assert (await client.xpending(name, "signalroom"))["pending"] == 0
    finally:
        await client.delete(name)
        await client.aclose()
        await transport.close()


@pytest.mark.parametrize("keep_acked", [False, True])
async def test_ack_many_acks_exactly_the_given_messages(keep_acked: bool) -> None:
    name = "ackmany-" + make_body(0).hex()[-10:]
    flag = "&keep_acked=1" if keep_acked else ""
    transport = from_url(f"{SERVER}?stream={name}{flag}")
    client = aioredis.Redis.from_url(SERVER)
    try:
        await transport.publish([OutgoingMessage(id=f"r{i}", body=make_body(i)) for i in range(7)])
        messages = await collect(transport, 7, ack=False)
        assert len(messages) == 7
        await transport.ack_many(messages[:5])
        await transport.ack_many([])
        pending = await client.xpending_range(name, "signalroom", min="-", max="+", count=10)
        assert sorted(p["message_id"] for p in pending) == sorted(m.handle for m in messages[5:])
        assert await client.xlen(name) == (7 if keep_acked else 2)
        await transport.ack_many(messages[5:])
        assert (await client.xpending(name, "signalroom"))["pending"] == 0
        assert await transport.consume(10, 0.2) == []
    finally:
        await client.delete(name)
        await client.aclose()
        await transport.close()
