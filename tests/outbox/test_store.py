"""Outbox.append: durability, versions, thread safety, and disk trouble."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from signalroom.config import OutboxSettings
from signalroom.outbox import Outbox
from signalroom.outbox.buffer import MemoryBuffer, PendingRow
from signalroom.outbox.matching import email_match
from signalroom.transports.envelope import decode_envelope
from tests.outbox.records import make_record


def states(outbox: Outbox) -> list[tuple[int, str]]:
    return [
        (r["revision"], r["state"]) for r in outbox.execute("SELECT * FROM versions ORDER BY seq")
    ]


def test_append_is_pending_and_counted(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    outbox.append(make_record())
    status = outbox.status()
    assert (status.pending, status.sent, status.parked, status.versions) == (1, 0, 0, 1)
    assert status.oldest_pending_s is not None and status.oldest_pending_s >= 0
    assert outbox.execute("PRAGMA journal_mode")[0][0] == "wal"
    assert outbox.execute("PRAGMA synchronous")[0][0] == 2  # FULL


def test_newer_revision_supersedes_older_pending(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    for rev in range(3):
        outbox.append(make_record("room_a", revision=rev, complete=rev == 2))
    assert states(outbox) == [(0, "superseded"), (1, "superseded"), (2, "pending")]
    assert outbox.status().as_dict() | {"oldest_pending_s": 0} == {
        "pending": 1,
        "sent": 0,
        "parked": 0,
        "versions": 3,
        "oldest_pending_s": 0,
    }


def test_stale_revision_is_stored_but_never_pending(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a", revision=5))
    outbox.append(make_record("room_a", revision=3, complete=False))
    assert states(outbox) == [(5, "pending"), (3, "superseded")]
    (newest,) = outbox.newest_versions()
    assert decode_envelope(newest["payload"])[1]["revision"] == 5


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the file without the store, which would ingest first."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


# (revision, complete) in append order: a stale revision after a newer one, then an equal one
_INTERLEAVED = [(1, False), (3, False), (2, False), (4, True), (4, True), (0, False)]
_CLASSIFIED = [
    (1, "superseded"),
    (3, "superseded"),
    (2, "superseded"),  # stale: a newer revision was stored before it
    (4, "superseded"),  # equal revision: the later append wins
    (4, "pending"),
    (0, "superseded"),
]


def test_versions_appended_before_a_read_are_classified_in_append_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path)
    for revision, complete in _INTERLEAVED:
        outbox.append(make_record("room_a", revision=revision, complete=complete))
    assert _raw(path, "SELECT COUNT(*) FROM versions") == [(0,)]
    assert states(outbox) == _CLASSIFIED
    (newest,) = outbox.newest_versions()
    assert (newest["seq"], newest["revision"], newest["state"]) == (5, 4, "pending")


def test_ingesting_late_classifies_as_ingesting_after_each_append(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    for revision, complete in _INTERLEAVED:
        outbox.append(make_record("room_a", revision=revision, complete=complete))
        outbox.status()  # ingests this one append
    assert states(outbox) == _CLASSIFIED


def test_a_parked_append_is_parked_at_ingest_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path)
    unreadable = make_record("room_a", schema_version="2.0")
    outbox.append(unreadable)
    outbox.append(make_record("room_b"))
    reason = "schema_version '2.0' has a major this build does not know"
    assert _raw(path, "SELECT record_id, parked FROM payloads ORDER BY seq") == [
        (unreadable.record_id, reason),
        (make_record("room_b").record_id, None),
    ]
    assert _raw(path, "SELECT COUNT(*) FROM versions") == [(0,)]
    status = outbox.status()
    assert (status.pending, status.parked) == (1, 1)
    (parked,) = outbox.newest_versions("parked")
    assert (parked["record_id"], parked["last_error"]) == (unreadable.record_id, reason)


def test_record_state_follows_its_newest_version(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a", revision=1, complete=False))
    outbox.execute("UPDATE versions SET state = 'sent', sent_at = 1")
    assert outbox.status().sent == 1
    outbox.append(make_record("room_a", revision=2))
    status = outbox.status()
    assert (status.pending, status.sent, status.versions) == (1, 0, 2)


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from signalroom.outbox import Outbox
    from tests.outbox.records import make_record

    outbox = Outbox(Path(sys.argv[1]))
    for i in range(40):
        outbox.append(make_record(f"room_{i}"))
        print(i + 1, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_appended_records_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == -9
    acknowledged = int(proc.stdout.split()[-1])
    assert Outbox(path).status().pending == acknowledged == 40


def test_appends_from_two_threads(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite", OutboxSettings(synchronous="NORMAL"))
    records = [[make_record() for _ in range(100)] for _ in range(2)]
    threads = [
        threading.Thread(target=lambda rs=rs: [outbox.append(r) for r in rs]) for rs in records
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outbox.status().pending == 200 and outbox.error_count == 0


def test_unusable_folder_holds_records_in_memory_then_writes_them(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the home folder should be")
    outbox = Outbox(blocker / "outbox.sqlite")
    first, second = make_record(), make_record()
    outbox.append(first)  # must not raise
    assert (outbox.buffered, outbox.error_count) == (1, 1)
    blocker.unlink()
    blocker.mkdir()
    outbox.append(second)
    assert outbox.buffered == 0
    ids = [r["record_id"] for r in outbox.newest_versions()]
    assert ids == [first.record_id, second.record_id]


def test_locked_database_buffers_instead_of_waiting(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path, OutboxSettings(busy_timeout_ms=50))
    outbox.append(make_record())
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    outbox.append(make_record())
    assert outbox.buffered == 1 and outbox.errors["locked"] == 1
    holder.execute("ROLLBACK")
    holder.close()
    assert outbox.flush_buffer() and outbox.status().pending == 2


@pytest.fixture
def tmpfs(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Mount a tmpfs of the given size (root only; the test is skipped otherwise)."""
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        path = tmp_path / f"tmpfs{len(mounts)}"
        path.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounts.append(path)
        return path

    yield mount
    for path in mounts:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk_buffers_and_flushes_after_space_returns(tmpfs) -> None:  # type: ignore[no-untyped-def]
    tiny_tmpfs = tmpfs("64k")
    outbox = Outbox(tiny_tmpfs / "o.sqlite", OutboxSettings(memory_buffer=500))
    records = [make_record() for _ in range(150)]
    for record in records:
        outbox.append(record)
    assert outbox.buffered > 0 and outbox.errors["disk_full"] >= 1
    subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_tmpfs)], check=True)
    assert outbox.flush_buffer()
    assert {r["record_id"] for r in outbox.newest_versions()} == {r.record_id for r in records}


def test_read_only_disk_buffers_and_flushes_after_remount(tmpfs) -> None:  # type: ignore[no-untyped-def]
    tiny_tmpfs = tmpfs("4m")
    outbox = Outbox(tiny_tmpfs / "o.sqlite")
    outbox.append(make_record())
    outbox.close()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_tmpfs)], check=True)
    late = make_record()
    outbox.append(late)
    assert outbox.buffered == 1 and outbox.error_count >= 1
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_tmpfs)], check=True)
    assert outbox.flush_buffer()
    assert late.record_id in {r["record_id"] for r in outbox.newest_versions()}


def _row(record_id: str, revision: int, complete: bool) -> PendingRow:
    return PendingRow(record_id, revision, complete, 0.0, b"{}")


def test_full_buffer_drops_superseded_checkpoints_first() -> None:
    buffer = MemoryBuffer(3)
    for row in (_row("a", 1, False), _row("b", 1, False), _row("a", 2, True)):
        buffer.add(row)
    buffer.add(_row("c", 1, True))
    kept = []
    while (row := buffer.peek()) is not None:
        kept.append((row.record_id, row.revision))
        buffer.pop()
    assert kept == [("b", 1), ("a", 2), ("c", 1)]
    assert (buffer.superseded, buffer.dropped_checkpoints, buffer.dropped_final) == (1, 0, 0)


def test_full_buffer_drops_a_final_record_only_last_and_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    buffer = MemoryBuffer(2)
    buffer.add(_row("a", 1, True))
    buffer.add(_row("b", 1, False))
    buffer.add(_row("c", 1, True))
    assert buffer.dropped_checkpoints == 1 and buffer.dropped_final == 0
    with caplog.at_level(logging.ERROR, logger="signalroom.outbox"):
        buffer.add(_row("d", 1, True))
    assert buffer.dropped_final == 1
    assert "dropped FINAL record a" in caplog.text


def test_status_on_fresh_file_reports_null_age(tmp_path: Path) -> None:
    assert json.loads(json.dumps(Outbox(tmp_path / "o.sqlite").status().as_dict())) == {
        "pending": 0,
        "sent": 0,
        "parked": 0,
        "versions": 0,
        "oldest_pending_s": None,
    }


def test_erasure_matches_and_deletes_in_one_transaction(tmp_path: Path) -> None:
    """A version appended while erasure reads is neither matched unseen nor deleted: it waits
    until the delete is committed."""
    path = tmp_path / "o.sqlite"
    eraser, agent = Outbox(path), Outbox(path, OutboxSettings(busy_timeout_ms=0))
    agent.append(make_record("room_a", participant_identity="a@example.com"))
    assert eraser.status().pending == 1  # ingested: the erasure has nothing new to store
    subject = email_match("a@example.com")

    def match(payload: bytes, created_at: float) -> bool:
        agent.append(make_record("room_a", revision=1, participant_identity="a@example.com"))
        return subject(payload, created_at)

    assert eraser.erase_matching(match) == {"versions": 1, "records": 1}
    assert agent.buffered == 1 and agent.errors["locked"] == 1
    assert agent.flush_buffer()
    (left,) = eraser.newest_versions()
    assert (left["revision"], left["state"]) == (1, "pending")


def test_a_long_backlog_is_ingested_in_steps_as_if_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps of a few rows (so revisions of one record fall in different steps) classify
    every version exactly as one ingest of the whole backlog does."""
    from signalroom.outbox import store

    appends = [
        (room, revision, complete)
        for round_ in range(4)
        for room, revision, complete in [
            ("room_a", round_ * 2, False),
            ("room_b", 9 - round_, True),  # stale revisions after a newer one
            ("room_a", round_ * 2 + 1, round_ == 3),
            ("room_c", 1, True),  # equal revisions: the later append wins
        ]
    ]

    def classified(path: Path) -> list[tuple[int, str, int, str]]:
        outbox = Outbox(path)
        for room, revision, complete in appends:
            outbox.append(make_record(room, revision=revision, complete=complete))
        assert _raw(path, "SELECT COUNT(*) FROM versions") == [(0,)]
        outbox.status()
        rows = outbox.execute("SELECT seq, record_id, revision, state FROM versions ORDER BY seq")
        outbox.close()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    at_once = classified(tmp_path / "at_once.sqlite")
    steps: list[bool] = []
    one_step = store.Outbox._ingest_step

    def counted(conn: sqlite3.Connection) -> None:
        steps.append(True)
        one_step(conn)

    monkeypatch.setattr(store, "INGEST_STEP", 3)
    monkeypatch.setattr(store.Outbox, "_ingest_step", staticmethod(counted))
    in_steps = classified(tmp_path / "in_steps.sqlite")
    assert steps.count(True) == 5  # 16 waiting: steps of 3 while more than 3 wait
    assert [(s, state) for s, _, _, state in in_steps] == [(s, st) for s, _, _, st in at_once]
    assert len(in_steps) == len(appends)
    assert sum(state == "pending" for *_, state in in_steps) == 3  # one per record
