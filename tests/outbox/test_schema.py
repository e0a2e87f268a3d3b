"""The outbox layout: payloads apart from states, one-statement appends, and the migration of
files written by earlier releases (one ``versions`` table with the payload inline)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signalroom.outbox import Outbox, forward
from signalroom.outbox.schema import VERSION
from signalroom.transports.envelope import decode_envelope, encode_record
from signalroom.transports.spool import SpoolTransport
from tests.outbox.records import make_record

# The layout every release before the split wrote (user_version 0), verbatim.
_INLINE_LAYOUT = """
CREATE TABLE IF NOT EXISTS versions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    complete   INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    payload    BLOB    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending','sent','parked','superseded')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at    REAL
);
CREATE INDEX IF NOT EXISTS versions_record ON versions (record_id, revision);
CREATE INDEX IF NOT EXISTS versions_state ON versions (state, seq);
"""


def _inline_outbox(path: Path) -> dict[str, bytes]:
    """An outbox as an earlier release left it: pending, sent, parked and superseded rows."""
    records = {
        "pending": make_record("room_pending", revision=2),
        "sent": make_record("room_sent", revision=1),
        "parked": make_record("room_parked", revision=1),
        "old": make_record("room_pending", revision=1, complete=False),
    }
    payloads = {name: encode_record(r) for name, r in records.items()}
    rows = [
        ("old", "superseded", 0, None, None),
        ("pending", "pending", 2, "broker down", None),
        ("sent", "sent", 1, None, 1_700_000_000.0),
        ("parked", "parked", 8, "gave up after 8 attempts: boom", None),
    ]
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_INLINE_LAYOUT)
    with db:
        for name, state, attempts, error, sent_at in rows:
            r = records[name]
            db.execute(
                "INSERT INTO versions (record_id, revision, complete, created_at, payload, "
                "state, attempts, last_error, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.record_id, r.revision, int(r.complete), time.time(), payloads[name],
                 state, attempts, error, sent_at),
            )  # fmt: skip
    db.close()
    return payloads


def test_an_inline_outbox_is_migrated_with_every_state_kept(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    payloads = _inline_outbox(path)
    outbox = Outbox(path)
    status = outbox.status()
    assert (status.pending, status.sent, status.parked, status.versions) == (1, 1, 1, 4)
    assert outbox.execute("PRAGMA user_version")[0][0] == VERSION
    columns = {r["name"] for r in outbox.execute("PRAGMA table_info(versions)")}
    assert "payload" not in columns
    kept = {
        (r["revision"], r["state"], r["attempts"], r["last_error"])
        for r in outbox.execute("SELECT * FROM versions")
    }
    assert kept == {
        (1, "superseded", 0, None),
        (2, "pending", 2, "broker down"),
        (1, "sent", 1, None),
        (1, "parked", 8, "gave up after 8 attempts: boom"),
    }
    stored = {bytes(r["payload"]) for r in outbox.execute("SELECT payload FROM payloads")}
    assert stored == set(payloads.values())


async def test_a_migrated_outbox_forwards_its_pending_record_and_takes_new_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.sqlite"
    payloads = _inline_outbox(path)
    outbox = Outbox(path)
    transport = SpoolTransport(tmp_path / "spool")
    result = await forward(outbox, transport)
    assert result.sent == 1
    (message,) = await transport.consume(10, 0.1)
    assert message.body == payloads["pending"]
    newer = make_record("room_pending", revision=3)
    outbox.append(newer)
    (newest,) = [r for r in outbox.newest_versions() if r["record_id"] == newer.record_id]
    assert (newest["revision"], newest["state"]) == (3, "pending")
    await transport.close()


def test_migration_is_all_or_nothing(tmp_path: Path) -> None:
    """A file another process holds write-locked is left as it was (and the append buffered)."""
    path = tmp_path / "outbox.sqlite"
    _inline_outbox(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    from signalroom.config import OutboxSettings

    outbox = Outbox(path, OutboxSettings(busy_timeout_ms=0))
    outbox.append(make_record("room_new"))
    assert outbox.buffered == 1
    holder.execute("ROLLBACK")
    columns = {r[1] for r in holder.execute("PRAGMA table_info(versions)")}
    assert "payload" in columns  # still the old layout: nothing half-done
    holder.close()
    assert outbox.flush_buffer()
    assert outbox.status().versions == 5


def test_a_file_from_a_newer_release_is_refused_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    outbox = Outbox(path)
    outbox.append(make_record())
    assert outbox.buffered == 1 and outbox.errors
    with pytest.raises(sqlite3.DatabaseError, match="newer than this build"):
        outbox.status()


def test_an_append_is_one_statement(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a", revision=1))
    statements: list[str] = []
    conn = outbox._connection()
    conn.set_trace_callback(statements.append)
    outbox.append(make_record("room_a", revision=2))
    conn.set_trace_callback(None)
    # SQLite traces each trigger step again under the statement that fired it: what matters
    # is that no other statement was run
    issued = {s.split(" (", 1)[0] for s in statements}
    assert issued == {"BEGIN DEFERRED", "INSERT INTO incoming", "COMMIT"}, statements
    states = [(r["revision"], r["state"]) for r in outbox.execute("SELECT * FROM versions")]
    assert states == [(1, "superseded"), (2, "pending")]


def test_deleting_a_version_deletes_its_payload(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.append(make_record("room_a"))
    outbox.purge(older_than_s=0, include_parked=True)
    outbox.execute("DELETE FROM versions")
    assert outbox.execute("SELECT COUNT(*) FROM payloads")[0][0] == 0


def test_erase_email_matches_the_exact_address_only(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    booked = make_record("room_jane", participant_identity="Jane.Doe@Example.com")
    other = make_record("room_john", participant_identity="jane.doe@example.com.au")
    outbox.append(booked)
    outbox.append(other)
    assert outbox.count_email(" jane.doe@example.com ") == {"versions": 1, "records": 1}
    assert outbox.erase_email("JANE.DOE@example.com") == {"versions": 1, "records": 1}
    left = [r["record_id"] for r in outbox.newest_versions()]
    assert left == [other.record_id]
    assert decode_envelope(bytes(outbox.newest_versions()[0]["payload"]))[1]["session_id"] == (
        "room_john"
    )


def test_status_command_migrates_an_old_outbox(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _inline_outbox(home / "outbox.sqlite")
    done = subprocess.run(
        [sys.executable, "-m", "signalroom", "outbox", "status", "--home", str(home), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"pending": 1' in done.stdout and '"versions": 4' in done.stdout
