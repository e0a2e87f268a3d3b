"""The contract every transport keeps, written once and subclassed per backend.

A backend's test module subclasses :class:`TransportContract` (class name starting with
``Test``), implements ``make_transport`` and ``dead_letters``, and may override ``cleanup``
and the timing attributes. Every test uses its own queue name and bounds every wait.

Refusal point for oversize payloads: ``publish`` raises ``PayloadTooLargeError`` before
sending anything of the batch.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from signalroom.errors import PayloadTooLargeError
from signalroom.privacy.subject import Subject
from signalroom.seam import NotErasable
from signalroom.transports.base import Message, OutgoingMessage, Transport
from signalroom.transports.envelope import encode_record
from tests.reliability.records import make_record


def make_body(i: int, size: int = 0) -> bytes:
    """A JSON-ish UTF-8 body (text, so every broker can carry it), optionally padded."""
    head = f'{{"n": {i}, "text": "grüße ✓ {uuid.uuid4().hex}"'.encode()
    pad = b', "pad": "' + b"x" * size + b'"' if size else b""
    return head + pad + b"}"


async def collect(
    transport: Transport, want: int, *, timeout_s: float = 60.0, ack: bool = True
) -> list[Message]:
    """Consume until ``want`` messages arrived or ``timeout_s`` passed."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        batch = await transport.consume(min(100, want - len(got)), timeout_s=0.5)
        if ack:
            await transport.ack_many(batch)  # as the service acks a batch
        got += batch
    return got


class TransportContract:
    #: Seconds after which a consumed, unacked message comes back; None when the backend's
    #: test transports do not use a short lease (the lease test is then skipped).
    lease_s: ClassVar[float | None] = None
    #: Nack delay used by the delay test; it checks invisibility for half of it.
    nack_delay_s: ClassVar[float] = 2.0

    async def make_transport(self, name: str) -> Transport:
        raise NotImplementedError

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        """What ``<name>.dlq`` holds: (original payload, reason) pairs."""
        raise NotImplementedError

    async def cleanup(self, name: str) -> None:
        """Remove what ``make_transport(name)`` created on a shared server."""

    @pytest.fixture
    async def name(self) -> AsyncIterator[str]:
        queue = f"contract-{uuid.uuid4().hex[:10]}"
        yield queue
        await self.cleanup(queue)

    @pytest.fixture
    async def transport(self, name: str) -> AsyncIterator[Transport]:
        transport = await self.make_transport(name)
        yield transport
        await transport.close()

    async def test_round_trip_preserves_bytes(self, transport: Transport) -> None:
        sent = [
            OutgoingMessage(id=f"r-{i}-{uuid.uuid4().hex[:6]}", body=make_body(i)) for i in range(3)
        ]
        await transport.publish(sent)
        got = await collect(transport, 3)
        assert {m.id: m.body for m in got} == {m.id: m.body for m in sent}
        assert all(m.delivery_count == 1 for m in got)
        assert await transport.consume(10, timeout_s=0.3) == []

    async def test_nack_redelivers_with_higher_count(self, transport: Transport) -> None:
        await transport.publish([OutgoingMessage(id="again", body=make_body(1))])
        (first,) = await collect(transport, 1, ack=False)
        first_count, first_body = first.delivery_count, first.body
        await transport.nack(first, delay_s=0)
        (second,) = await collect(transport, 1)
        assert second.id == "again" and second.body == first_body
        assert second.delivery_count > first_count

    async def test_unacked_message_comes_back_after_lease(self, transport: Transport) -> None:
        if self.lease_s is None:
            pytest.skip("this backend's test transports use no short lease")
        await transport.publish([OutgoingMessage(id="lost-consumer", body=make_body(2))])
        (first,) = await collect(transport, 1, ack=False)
        first_count = first.delivery_count
        again = await collect(transport, 1, timeout_s=self.lease_s * 4 + 5)
        assert [m.id for m in again] == ["lost-consumer"]
        assert again[0].delivery_count > first_count

    async def test_nack_delay_hides_message_until_due(self, transport: Transport) -> None:
        await transport.publish([OutgoingMessage(id="later", body=make_body(3))])
        (first,) = await collect(transport, 1, ack=False)
        nacked_at = time.monotonic()
        await transport.nack(first, delay_s=self.nack_delay_s)
        early = await transport.consume(10, timeout_s=self.nack_delay_s / 2)
        if time.monotonic() - nacked_at < self.nack_delay_s:
            assert early == [], "a nacked message was delivered before its delay"
        later = early or await collect(transport, 1, timeout_s=self.nack_delay_s * 3 + 5)
        assert [m.id for m in later] == ["later"]

    async def test_dead_letter_keeps_payload_and_reason(
        self, transport: Transport, name: str
    ) -> None:
        body = make_body(4)
        await transport.publish([OutgoingMessage(id="poison", body=body)])
        (msg,) = await collect(transport, 1, ack=False)
        await transport.dead_letter(msg, "invalid record: session_id: field required")
        assert (body, "invalid record: session_id: field required") in await self.dead_letters(
            transport, name
        )
        wait = 1.0 if self.lease_s is None else self.lease_s * 2 + 0.5
        assert await collect(transport, 1, timeout_s=wait) == []

    async def test_batch_of_500_consumed_exactly_once(self, transport: Transport) -> None:
        sent = [OutgoingMessage(id=f"b-{i}", body=make_body(i)) for i in range(500)]
        await transport.publish(sent)
        got = await collect(transport, 500, timeout_s=240)  # a deadline, not a speed check
        counts = Counter(m.id for m in got)
        assert set(counts) == {m.id for m in sent}
        assert max(counts.values()) == 1
        assert await transport.consume(10, timeout_s=0.3) == []

    async def test_two_consumers_split_the_queue(self, transport: Transport, name: str) -> None:
        other = await self.make_transport(name)
        try:
            await transport.publish(
                [OutgoingMessage(id=f"s-{i}", body=make_body(i)) for i in range(40)]
            )
            seen: dict[str, list[str]] = {"a": [], "b": []}

            async def run(label: str, consumer: Transport) -> None:
                deadline = time.monotonic() + 120  # a deadline for a hang, not a speed check
                while len(seen["a"]) + len(seen["b"]) < 40 and time.monotonic() < deadline:
                    for msg in await consumer.consume(5, timeout_s=0.3):
                        seen[label].append(msg.id)
                        await consumer.ack(msg)

            await asyncio.gather(run("a", transport), run("b", other))
            assert set(seen["a"]).isdisjoint(seen["b"])
            assert sorted(seen["a"] + seen["b"]) == sorted(f"s-{i}" for i in range(40))
        finally:
            await other.close()

    async def test_creates_what_it_needs(self, transport: Transport) -> None:
        assert await transport.consume(5, timeout_s=0.2) == []
        await transport.publish([OutgoingMessage(id="first", body=make_body(5))])
        assert [m.id for m in await collect(transport, 1)] == ["first"]

    async def test_oversize_payload_refused_at_publish(self, transport: Transport) -> None:
        ok = OutgoingMessage(id="ok", body=make_body(6))
        big = OutgoingMessage(id="big", body=b"x" * (transport.max_message_bytes + 1))
        with pytest.raises(PayloadTooLargeError):
            await transport.publish([ok, big])
        assert await transport.consume(5, timeout_s=0.3) == []

    async def test_check_contacts_the_broker(self, transport: Transport) -> None:
        detail = await transport.check()
        assert isinstance(detail, str) and detail

    async def test_ack_many_acks_the_whole_batch(self, transport: Transport) -> None:
        await transport.publish(
            [OutgoingMessage(id=f"m-{i}", body=make_body(i)) for i in range(12)]
        )
        got = await collect(transport, 12, ack=False)
        assert len(got) == 12
        await transport.ack_many(got)
        assert await transport.consume(12, timeout_s=0.5) == []

    async def test_erase_is_exact_or_refused_with_a_reason(self, transport: Transport) -> None:
        email = f"jane.{uuid.uuid4().hex[:6]}@acme.com"
        mine, theirs = make_record(email=email), make_record(email="x" + email)
        await transport.publish(
            [OutgoingMessage(id=r.record_id, body=encode_record(r)) for r in (mine, theirs)]
        )
        subject = Subject.for_email(email, None)
        try:
            found = await transport.count(subject)
        except NotErasable as exc:
            assert "consume" in str(exc)  # says how to get the records out of this broker
            with pytest.raises(NotErasable):
                await transport.erase(subject)
            return
        assert found == {"messages": 1, "dead_letters": 0}
        assert await transport.erase(subject) == found
        assert [m.id for m in await collect(transport, 2, timeout_s=3)] == [theirs.record_id]
