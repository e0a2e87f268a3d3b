"""Outbox.forward and the background Forwarder against real transports (memory, spool)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
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


async def test_each_read_sees_what_another_outbox_appended_since_its_last_read(
    tmp_path: Path,
) -> None:
    """The agent appends through one Outbox, ``signalroom outbox ...`` reads through another."""
    path = tmp_path / "o.sqlite"
    agent, reader = Outbox(path), Outbox(path)
    assert reader.status().versions == 0
    agent.append(make_record("room_a", revision=0, complete=False))
    assert reader.status().pending == 1

    agent.append(make_record("room_a", revision=1))
    agent.append(make_record("room_b"))
    transport = memory()
    assert (await forward(reader, transport)).sent == 2
    room_a, room_b = make_record("room_a").record_id, make_record("room_b").record_id
    assert queued_revisions(transport) == {room_a: 1, room_b: 0}

    agent.append(make_record("room_c", participant_identity="c@example.com"))
    assert reader.count_email("c@example.com") == {"versions": 1, "records": 1}
    agent.append(make_record("room_c", revision=1, participant_identity="c@example.com"))
    assert reader.erase_email("c@example.com") == {"versions": 2, "records": 1}

    agent.append(make_record("room_d", revision=0, complete=False))
    agent.append(make_record("room_d", revision=1))
    # room_a's first version and room_d's, appended since the last read
    assert reader.purge(older_than_s=3600)["superseded"] == 2

    unreadable = make_record("room_e", schema_version="2.0")
    agent.append(unreadable)
    assert reader.replay(record_id=unreadable.record_id) == 1

    agent.append(make_record("room_f"))
    assert make_record("room_f").record_id in {r["record_id"] for r in reader.newest_versions()}


async def test_an_appender_and_a_forwarder_on_one_file_send_each_newest_version_once(
    tmp_path: Path,
) -> None:
    """The agent appending while ``signalroom outbox forward`` runs in another process."""
    path = tmp_path / "o.sqlite"
    settings = OutboxSettings(synchronous="NORMAL", busy_timeout_ms=10_000)
    agent, forwarder = Outbox(path, settings), Outbox(path, settings)
    rooms, revisions = 30, 4

    def append_all() -> None:
        for revision in range(revisions):
            for i in range(rooms):
                final = revision == revisions - 1
                agent.append(make_record(f"room_{i}", revision=revision, complete=final))

    transport = memory()
    appending = asyncio.ensure_future(asyncio.to_thread(append_all))
    passes = 0
    while not appending.done():
        await forward(forwarder, transport, batch_size=7)
        passes += 1
        await asyncio.sleep(0.001)
    await appending
    assert agent.flush_buffer() and agent.dropped_final == 0
    await forward(forwarder, transport)

    delivered: Counter[tuple[str, int]] = Counter()
    for _, message in queue_state(transport.name).ready:
        _, data = decode_envelope(message.body)
        delivered[(data["session_id"], data["revision"])] += 1
    assert max(delivered.values()) == 1, delivered.most_common(3)
    newest = {room: max(rev for r, rev in delivered if r == room) for room, _ in delivered}
    assert newest == {f"room_{i}": revisions - 1 for i in range(rooms)}
    status = forwarder.status()
    assert (status.pending, status.sent, status.versions) == (0, rooms, rooms * revisions)
    assert passes > 1  # the forwarder ran while the agent appended


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
