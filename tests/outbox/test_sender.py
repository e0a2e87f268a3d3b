"""Outbox.forward and the background Forwarder against real transports (memory, spool)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from signalroom.config import OutboxSettings
from signalroom.errors import InvalidRecordError
from signalroom.outbox import Forwarder, Outbox, forward
from signalroom.transports.envelope import decode_envelope
from signalroom.transports.memory import MemoryTransport, queue_state
from signalroom.transports.spool import SpoolTransport
from tests.outbox.records import big_record, make_record
from tests.waiting import wait_for


def memory() -> MemoryTransport:
    return MemoryTransport(f"fwd-{uuid.uuid4().hex[:8]}")


def queued_revisions(transport: MemoryTransport) -> dict[str, int]:
    out = {}
    for _, msg in queue_state(transport.name).ready:
        _, data = decode_envelope(msg.body)
        out[msg.id] = data["revision"]
    return out


async def test_forward_sends_newest_versions_and_marks_them_sent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a", revision=0, complete=False))
    outbox.append(make_record("room_a", revision=1))
    outbox.append(make_record("room_b"))
    transport = memory()
    result = await forward(outbox, transport, batch_size=1)
    assert (result.sent, result.parked, result.failed) == (2, 0, 0)
    revisions = queued_revisions(transport)
    assert sorted(revisions.values()) == [0, 1]  # room_a sent once, at revision 1
    assert make_record("room_a").record_id in revisions
    status = outbox.status()
    assert (status.pending, status.sent) == (0, 2)
    assert (await forward(outbox, transport)).sent == 0


async def test_failed_publish_counts_attempts_then_parks(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = SpoolTransport(blocker / "spool")  # every publish raises TransportError
    outbox = Outbox(tmp_path / "o.sqlite", OutboxSettings(max_attempts=3))
    outbox.append(make_record())
    first = await forward(outbox, broken, retries=2)
    assert (first.sent, first.failed, first.parked) == (0, 1, 0)
    assert "spool" in (first.last_error or "")
    (row,) = outbox.newest_versions()
    assert (row["state"], row["attempts"]) == ("pending", 2)
    second = await forward(outbox, broken, retries=2)
    assert second.parked == 1
    (row,) = outbox.newest_versions()
    assert row["state"] == "parked" and row["last_error"].startswith("gave up after 3 attempts")


async def test_too_large_record_is_parked_with_the_sizes(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(big_record(40_000))
    outbox.append(make_record())
    transport = SpoolTransport(tmp_path / "spool", max_message_bytes=8 * 1024)
    result = await forward(outbox, transport)
    assert (result.sent, result.parked) == (1, 1)
    (parked,) = outbox.newest_versions("parked")
    assert parked["last_error"].startswith("too large for spool: ")
    assert parked["last_error"].endswith("KB > 8 KB")


async def test_unknown_schema_major_is_parked_at_append(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record(schema_version="2.0"))
    outbox.append(make_record())
    assert outbox.status().parked == 1
    result = await forward(outbox, memory())
    assert (result.sent, result.parked) == (1, 0)
    (parked,) = outbox.newest_versions("parked")
    assert parked["last_error"] == "schema_version '2.0' has a major this build does not know"


async def test_a_payload_damaged_on_disk_is_sent_for_the_consumer_to_dead_letter(
    tmp_path: Path,
) -> None:
    """Forwarding does not decode payloads again; the service dead-letters a damaged one."""
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record())
    outbox.execute("UPDATE payloads SET payload = ? WHERE seq = 1", (b'{"specversion": trunc',))
    transport = memory()
    assert (await forward(outbox, transport)).sent == 1
    (message,) = await transport.consume(10, 0.1)
    with pytest.raises(InvalidRecordError, match="not a JSON envelope"):
        decode_envelope(message.body)


async def test_replay_makes_parked_records_pending_again(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    record = big_record(40_000)
    outbox.append(record)
    await forward(outbox, SpoolTransport(tmp_path / "s", max_message_bytes=1024))
    assert outbox.status().parked == 1
    assert outbox.replay(record_id="someone-else") == 0
    assert outbox.replay(record_id=record.record_id) == 1
    assert (await forward(outbox, memory())).sent == 1
    assert outbox.replay() == 0
    assert outbox.replay(include_sent=True) == 1


async def test_purge_removes_old_sent_and_superseded(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a", revision=0, complete=False))
    outbox.append(make_record("room_a", revision=1))
    await forward(outbox, memory())
    assert outbox.purge(older_than_s=3600) == {"sent": 0, "superseded": 1, "parked": 0}
    assert outbox.purge(older_than_s=0) == {"sent": 1, "superseded": 0, "parked": 0}
    assert outbox.status().versions == 0


async def test_background_forwarder_delivers_and_stops(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", OutboxSettings(forward_interval_s=0.05))
    forwarder = Forwarder(outbox, f"spool://{tmp_path / 'spool'}")
    forwarder.start()
    try:
        for _ in range(20):
            outbox.append(make_record())
            forwarder.wake()
        wait_for(lambda: outbox.status().sent == 20, "the forwarder to send 20 records")
    finally:
        assert forwarder.stop(timeout=30)
    assert outbox.status().sent == 20
    consumer = SpoolTransport(tmp_path / "spool")
    assert len(await consumer.consume(100, timeout_s=1)) == 20
    await consumer.close()


async def test_forwarder_survives_a_bad_queue_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", OutboxSettings(forward_interval_s=0.05))
    outbox.append(make_record())
    forwarder = Forwarder(outbox, "nowhere://queue")
    caplog.set_level(logging.ERROR, logger="signalroom")

    def failures() -> int:
        return sum("cannot open nowhere://queue" in r.getMessage() for r in caplog.records)

    forwarder.start()
    try:
        wait_for(lambda: failures() >= 2, "the forwarder to fail, back off and try again")
    finally:
        assert forwarder.stop(timeout=30)
    assert forwarder.passes == 0
    assert outbox.status().pending == 1
