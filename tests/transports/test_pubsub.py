"""Pub/Sub backend: the real google-cloud-pubsub client over gRPC against ``pubsub_server``.

These are contract checks of how the transport uses the client library and the Pub/Sub API
(resources, publish, pull, ack, deadlines, dead letters), not of Google's service itself.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from google.api_core.exceptions import DeadlineExceeded
from google.cloud import pubsub_v1

from signalroom.errors import ConfigError, TransportAuthError, TransportError
from signalroom.transports import open_transport
from signalroom.transports.base import OutgoingMessage, Transport
from signalroom.transports.pubsub import PubSubTransport, from_url
from tests.transports.contract import TransportContract, collect
from tests.transports.pubsub_server import generate_stubs

pytestmark = pytest.mark.contract

PROJECT = "test-project"
DENIED = "denied-project"


@pytest.fixture(scope="module", autouse=True)
def pubsub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    stubs = generate_stubs(tmp_path_factory.mktemp("pubsub-stubs"))
    script = Path(__file__).with_name("pubsub_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(stubs), "--deny-project", DENIED],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the server prints its port once it serves
        assert line.startswith("PORT "), f"pubsub test server did not start: {line!r}"
        host = f"127.0.0.1:{line.split()[1]}"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PUBSUB_EMULATOR_HOST", host)
            yield host
    finally:
        proc.kill()
        proc.wait(timeout=10)


def pubsub_dead_letters(transport: PubSubTransport) -> list[tuple[bytes, str]]:
    subscriber = pubsub_v1.SubscriberClient()
    try:
        found: list[tuple[bytes, str]] = []
        while True:
            response = subscriber.pull(
                request={"subscription": transport.dlq_subscription_path, "max_messages": 100},
                timeout=0.5,
                retry=None,
            )
            if not response.received_messages:
                return found
            for r in response.received_messages:
                found.append((bytes(r.message.data), r.message.attributes.get("reason", "")))
    except DeadlineExceeded:  # nothing (more) waiting
        return found
    finally:
        subscriber.close()


class TestPubSubContract(TransportContract):
    # Pub/Sub's shortest ack deadline is 10 s: the lease test would dominate the run time.
    lease_s = None

    async def make_transport(self, name: str) -> Transport:
        return from_url(f"pubsub://{PROJECT}/{name}?timeout=10")

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        assert isinstance(transport, PubSubTransport)
        assert transport.dlq_topic_path.endswith(f"/{name}.dlq")
        return pubsub_dead_letters(transport)


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., PubSubTransport]]:
    opened: list[PubSubTransport] = []

    def _make(query: str = "", project: str = PROJECT) -> PubSubTransport:
        t = from_url(f"pubsub://{project}/t-{uuid.uuid4().hex[:10]}?timeout=5&{query}")
        opened.append(t)
        return t

    yield _make
    for t in opened:
        await t.close()


def _out(i: int, body: bytes | None = None) -> OutgoingMessage:
    return OutgoingMessage(id=f"rec-{i}-{uuid.uuid4().hex[:6]}", body=body or f"body {i}".encode())


async def test_creates_topics_and_subscriptions_with_policy(make) -> None:
    t = make("ack_deadline=45&max_delivery_attempts=7&subscription=analytics")
    status = await t.check()
    assert "7 attempts" in status and t.dlq_topic_path in status
    subscriber = pubsub_v1.SubscriberClient()
    try:
        sub = subscriber.get_subscription(subscription=t.subscription_path)
        dlq_sub = subscriber.get_subscription(subscription=t.dlq_subscription_path)
    finally:
        subscriber.close()
    assert sub.name.endswith("/subscriptions/analytics") and sub.topic == t.topic_path
    assert sub.ack_deadline_seconds == 45
    assert sub.dead_letter_policy.dead_letter_topic == t.dlq_topic_path
    assert sub.dead_letter_policy.max_delivery_attempts == 7
    assert dlq_sub.topic == t.dlq_topic_path and dlq_sub.name.endswith(".dlq-sub")


async def test_second_transport_reuses_existing_resources(make) -> None:
    a = make()
    await a.publish([_out(1)])
    b = from_url(a.url)
    try:
        [msg] = await collect(b, 1, timeout_s=30)
        assert msg.body == b"body 1"
    finally:
        await b.close()


async def test_round_trip_carries_id_attribute(make) -> None:
    t = make()
    out = _out(1, b'{"specversion": "1.0"}')
    await t.publish([out])
    [msg] = await t.consume(10, 2.0)
    assert (msg.id, msg.body, msg.delivery_count) == (out.id, out.body, 1)
    assert msg.attributes["ce-id"] == out.id
    await t.ack(msg)


async def test_delivery_attempts_beyond_policy_go_to_dlq(make) -> None:
    t = make("max_delivery_attempts=5")
    out = _out(1)
    await t.publish([out])
    for attempt in range(1, 6):
        [msg] = await t.consume(1, 2.0)
        assert msg.delivery_count == attempt
        await t.nack(msg)
    assert await t.consume(1, 0.5) == []
    assert [body for body, _ in pubsub_dead_letters(t)] == [out.body]


async def test_message_at_the_size_limit_is_delivered(make) -> None:
    t = make()
    big = _out(1, b"z" * t.max_message_bytes)
    await t.publish([big])
    [msg] = await t.consume(1, 5.0)
    assert msg.body == big.body
    await t.ack(msg)


async def test_permission_denied_is_an_auth_error(make) -> None:
    t = make(project=DENIED)
    with pytest.raises(TransportAuthError) as info:
        await t.publish([_out(1)])
    assert not info.value.retryable and DENIED in str(info.value)


async def test_unreachable_emulator_is_a_transport_error(monkeypatch) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{port}")
    t = from_url(f"pubsub://{PROJECT}/nowhere?timeout=1")
    try:
        with pytest.raises(TransportError) as info:
            await t.publish([_out(1)])
        assert info.value.retryable and "pubsub://" in str(info.value) and info.value.hint
    finally:
        await t.close()


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("pubsub:///records", "project"),
        ("pubsub://Bad_Project/records", "project"),
        ("pubsub://p-1/", "topic"),
        ("pubsub://p-1/9lives", "topic"),
        ("pubsub://p-1/google-topic", "topic"),
        ("pubsub://p-1/records?ack_deadline=5", "ack_deadline"),
        ("pubsub://p-1/records?max_delivery_attempts=200", "max_delivery_attempts"),
        ("pubsub://p-1/records?subscription=a b", "subscription"),
        ("pubsub://p-1/records?sub=x", "sub"),
    ],
)
def test_bad_url_names_the_part(url: str, part: str) -> None:
    with pytest.raises(ConfigError, match=part):
        from_url(url)


def test_scheme_is_registered() -> None:
    assert isinstance(open_transport("pubsub://p-1/records"), PubSubTransport)
