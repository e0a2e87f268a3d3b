"""SQS backend: real boto3 calls over HTTP to moto running in server mode on a free port."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportAuthError, TransportError
from signalroom.transports import open_transport
from signalroom.transports.base import Message, OutgoingMessage, Transport
from signalroom.transports.sqs import SqsTransport, from_url
from tests.transports.contract import TransportContract


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


def sqs_client(endpoint: str) -> Any:
    return boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)


def sqs_dead_letters(transport: SqsTransport, endpoint: str) -> list[tuple[bytes, str]]:
    """Everything waiting in the transport's dead-letter queue, as (body, reason)."""
    client = sqs_client(endpoint)
    url = client.get_queue_url(QueueName=transport.dlq)["QueueUrl"]
    found: list[tuple[bytes, str]] = []
    while True:
        got = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not got:
            return found
        for m in got:
            reason = m.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")
            found.append((m["Body"].encode(), reason))


class TestSqsContract(TransportContract):
    # Moto's ReceiveMessage scans the whole queue (~0.4 s per call at 500 messages), so a short
    # visibility timeout would expire while the 500-message test is still acking. The contract
    # runs with the default 30 s; test_visibility_timeout_redelivers covers the lease here.
    lease_s = None
    endpoint = ""

    @pytest.fixture(autouse=True)
    def _endpoint(self, moto_endpoint: str) -> None:
        self.endpoint = moto_endpoint

    async def make_transport(self, name: str) -> Transport:
        return from_url(f"sqs://{name}?region=us-east-1&endpoint_url={self.endpoint}")

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        assert isinstance(transport, SqsTransport) and transport.queue == name
        return sqs_dead_letters(transport, self.endpoint)

    @pytest.mark.slow
    async def test_batch_of_500_consumed_exactly_once(self, transport: Transport) -> None:
        """Unchanged contract test, marked slow: moto's ReceiveMessage is quadratic in the
        queue length (15-40 s here for 500 messages); real SQS answers in milliseconds."""
        await super().test_batch_of_500_consumed_exactly_once(transport)


@pytest.fixture
async def make(moto_endpoint: str) -> AsyncIterator[Callable[..., SqsTransport]]:
    opened: list[SqsTransport] = []

    def _make(query: str = "", name: str | None = None) -> SqsTransport:
        name = name or f"sr-{uuid.uuid4().hex[:12]}"
        url = f"sqs://{name}?region=us-east-1&endpoint_url={moto_endpoint}"
        t = from_url(url + (f"&{query}" if query else ""))
        opened.append(t)
        return t

    yield _make
    for t in opened:
        await t.close()


def _out(i: int, body: bytes | None = None) -> OutgoingMessage:
    return OutgoingMessage(id=f"rec-{i}-{uuid.uuid4().hex[:6]}", body=body or f"body {i}".encode())


async def test_round_trip_with_id_attribute(make) -> None:
    t = make()
    assert isinstance(t, Transport)
    out = _out(1, b'{"specversion":"1.0"}')
    await t.publish([out])
    [msg] = await t.consume(10, 1.0)
    assert (msg.id, msg.body, msg.delivery_count) == (out.id, out.body, 1)
    assert msg.attributes["ce-id"] == out.id
    await t.ack(msg)
    assert await t.consume(10, 0) == []


async def test_creates_queue_and_dlq_with_redrive(make, moto_endpoint: str) -> None:
    t = make("max_receive=7&visibility_timeout=12")
    await t.check()
    client = sqs_client(moto_endpoint)
    url = client.get_queue_url(QueueName=t.queue)["QueueUrl"]
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dlq_url = client.get_queue_url(QueueName=f"{t.queue}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq_arn["Attributes"]["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 7
    assert attrs["VisibilityTimeout"] == "12"


async def test_existing_queue_is_used_as_is(make, moto_endpoint: str) -> None:
    name = f"sr-pre-{uuid.uuid4().hex[:8]}"
    client = sqs_client(moto_endpoint)
    client.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})
    t = make(name=name)
    await t.publish([_out(1)])
    [msg] = await t.consume(1, 1.0)
    await t.ack(msg)
    url = client.get_queue_url(QueueName=name)["QueueUrl"]
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "40"


async def test_batch_is_split_by_count_and_size(make) -> None:
    t = make()
    batch = [_out(i, b"x" * 30_000) for i in range(23)]  # 690 KB: several 256 KiB calls
    await t.publish(batch)
    seen: dict[str, bytes] = {}
    for _ in range(10):
        for m in await t.consume(50, 0.5):
            seen[m.id] = m.body
            await t.ack(m)
        if len(seen) == len(batch):
            break
    assert seen == {o.id: o.body for o in batch}


async def test_nack_delay_hides_message_then_redelivers(make) -> None:
    t = make()
    await t.publish([_out(1)])
    [first] = await t.consume(1, 1.0)
    await t.nack(first, delay_s=1.0)
    assert await t.consume(1, 0) == []
    [again] = await t.consume(1, 3.0)
    assert (again.id, again.delivery_count) == (first.id, 2)


async def test_visibility_timeout_redelivers(make) -> None:
    t = make("visibility_timeout=1")
    await t.publish([_out(1)])
    [first] = await t.consume(1, 1.0)
    assert await t.consume(1, 0) == []
    [again] = await t.consume(1, 4.0)
    assert (again.id, again.delivery_count) == (first.id, 2)
    await t.ack(again)
    # Acking with the stale receipt of the first delivery must not resurrect anything.
    assert await t.consume(1, 1.2) == []


async def test_explicit_dead_letter_keeps_payload_and_reason(make, moto_endpoint: str) -> None:
    t = make()
    out = _out(1, b'{"bad": true}')
    await t.publish([out])
    [msg] = await t.consume(1, 1.0)
    await t.dead_letter(msg, "unknown schema major 9")
    assert sqs_dead_letters(t, moto_endpoint) == [(out.body, "unknown schema major 9")]
    assert await t.consume(1, 0) == []


async def test_binary_body_survives_via_base64(make) -> None:
    t = make()
    raw = bytes(range(256))
    await t.publish([_out(1, raw)])
    [msg] = await t.consume(1, 1.0)
    assert msg.body == raw


async def test_redrive_moves_after_max_receive(make, moto_endpoint: str) -> None:
    t = make("max_receive=2")
    out = _out(1)
    await t.publish([out])
    for count in (1, 2):
        [msg] = await t.consume(1, 1.0)
        assert msg.delivery_count == count
        await t.nack(msg)
    assert await t.consume(1, 0.3) == []
    assert [body for body, _ in sqs_dead_letters(t, moto_endpoint)] == [out.body]


async def test_fifo_queue_deduplicates_on_record_id(make, moto_endpoint: str) -> None:
    t = make(name=f"sr-{uuid.uuid4().hex[:8]}.fifo")
    assert t.dlq.endswith("-dlq.fifo")
    out = _out(1)
    await t.publish([out, _out(2)])
    await t.publish([out])
    ids = [m.id for m in await t.consume(10, 1.0)]
    assert sorted(ids) == sorted({out.id, *ids}) and len(ids) == 2


async def test_size_limit_is_exact_and_never_truncates(make) -> None:
    t = make()
    at_limit = _out(1, b"y" * t.max_message_bytes)
    await t.publish([at_limit])
    with pytest.raises(PayloadTooLargeError, match=str(t.max_message_bytes)):
        await t.publish([_out(2, b"y" * (t.max_message_bytes + 1))])
    [msg] = await t.consume(10, 1.0)
    assert msg.body == at_limit.body


async def test_wrong_credentials_raise_auth_error(make, moto_endpoint: str) -> None:
    t = make()
    httpx.post(f"{moto_endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
    try:
        with pytest.raises(TransportAuthError) as info:
            await t.publish([_out(1)])
    finally:
        httpx.post(f"{moto_endpoint}/moto-api/reset-auth", content=b"inf").raise_for_status()
    assert not info.value.retryable
    assert "testing" not in str(info.value)


async def test_missing_credentials_raise_auth_error(make, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    t = make()
    with pytest.raises(TransportAuthError, match="no AWS credentials"):
        await t.publish([_out(1)])


async def test_missing_region_is_a_config_error() -> None:
    t = from_url("sqs://records")
    with pytest.raises(ConfigError, match="region"):
        await t.publish([_out(1)])


@pytest.mark.timeout(120)  # the retries are bounded: a hang is a failure
async def test_unreachable_endpoint_is_retryable_transport_error() -> None:
    url = f"sqs://records?region=eu-west-1&endpoint_url=http://127.0.0.1:{_free_port()}"
    t = from_url(url)
    with pytest.raises(TransportError) as info:
        await t.consume(1, 0)
    assert info.value.retryable and "records" in str(info.value) and info.value.hint


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("sqs://", "queue name"),
        ("sqs://bad.name?region=us-east-1", "queue name"),
        ("sqs://" + "q" * 77, "queue name"),
        ("sqs://q?region=us-east-1&max_receive=0", "max_receive"),
        ("sqs://q?visibility_timeout=-1", "visibility_timeout"),
        ("sqs://q?endpoint_url=localhost:9324", "endpoint_url"),
        ("sqs://q?regoin=us-east-1", "regoin"),
    ],
)
def test_bad_url_names_the_part(url: str, part: str) -> None:
    with pytest.raises(ConfigError, match=part):
        from_url(url)


def test_scheme_is_registered() -> None:
    assert isinstance(open_transport("sqs://q?region=us-east-1"), SqsTransport)


async def test_ack_many_deletes_in_batches_and_names_what_sqs_refused(make) -> None:
    import dataclasses

    t = make("visibility_timeout=30")
    sent = [_out(i) for i in range(25)]
    await t.publish(sent)
    got: list[Message] = []
    while len(got) < 25:
        got += await t.consume(25 - len(got), 1.0)
    stale = dataclasses.replace(got[0].handle, receipt="not-a-receipt-handle")
    bad = dataclasses.replace(got[0], handle=stale)
    with pytest.raises(TransportError, match=rf"did not delete 1 acked messages: {got[0].id} "):
        await t.ack_many([bad, *got[1:]])
    await t.ack_many(got[:1])
    assert await t.consume(10, 0) == []
