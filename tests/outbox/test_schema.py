"""The outbox layout: an append-only journal of payloads, versions stored by the next read, and
the migration of files written by earlier releases (``user_version`` 2: payloads apart from
versions, appended through a view; ``user_version`` 0: one ``versions`` table with the payload
inline)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from signalroom.config import OutboxSettings
from signalroom.outbox import Outbox, forward
from signalroom.outbox.schema import VERSION
from signalroom.record import SessionRecord
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

# The layout of the releases that split payloads from versions (user_version 2), verbatim.
_SPLIT_LAYOUT = """
CREATE TABLE IF NOT EXISTS versions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    complete   INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending','sent','parked','superseded')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at    REAL
);
CREATE TABLE IF NOT EXISTS payloads (
    seq     INTEGER PRIMARY KEY,
    payload BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_record ON versions (record_id, revision);
CREATE INDEX IF NOT EXISTS versions_state ON versions (state, seq);
CREATE VIEW IF NOT EXISTS incoming (record_id, revision, complete, created_at, payload, parked)
    AS SELECT NULL, NULL, NULL, NULL, NULL, NULL;
CREATE TRIGGER IF NOT EXISTS incoming_append INSTEAD OF INSERT ON incoming
BEGIN
    INSERT INTO versions (record_id, revision, complete, created_at, state, last_error)
    VALUES (
        NEW.record_id, NEW.revision, NEW.complete, NEW.created_at,
        CASE
            WHEN EXISTS (SELECT 1 FROM versions
                         WHERE record_id = NEW.record_id AND revision > NEW.revision)
                THEN 'superseded'
            WHEN NEW.parked IS NOT NULL THEN 'parked'
            ELSE 'pending'
        END,
        NEW.parked
    );
    INSERT INTO payloads (seq, payload) VALUES (last_insert_rowid(), NEW.payload);
    -- "+state": look the record up by versions_record, not every pending row by versions_state
    UPDATE versions SET state = 'superseded'
    WHERE record_id = NEW.record_id AND revision <= NEW.revision AND +state = 'pending'
      AND +seq < last_insert_rowid();
END;
CREATE TRIGGER IF NOT EXISTS versions_delete AFTER DELETE ON versions
BEGIN
    DELETE FROM payloads WHERE seq = OLD.seq;
END;
PRAGMA user_version = 2;
"""

#: What each old file holds, in append order: (name, state, attempts, last_error, sent_at).
_ROWS = [
    ("old", "superseded", 0, None, None),
    ("pending", "pending", 2, "broker down", None),
    ("sent", "sent", 1, None, 1_700_000_000.0),
    ("parked", "parked", 8, "gave up after 8 attempts: boom", None),
    ("gone", "superseded", 0, None, None),  # the highest seq given out, then purged
]
_KEPT = {
    (1, "superseded", 0, None),
    (2, "pending", 2, "broker down"),
    (1, "sent", 1, None),
    (1, "parked", 8, "gave up after 8 attempts: boom"),
}
_HIGHEST_SEQ = len(_ROWS)


def _records() -> dict[str, SessionRecord]:
    return {
        "pending": make_record("room_pending", revision=2),
        "sent": make_record("room_sent", revision=1),
        "parked": make_record("room_parked", revision=1),
        "old": make_record("room_pending", revision=1, complete=False),
        "gone": make_record("room_gone", revision=1),
    }


def _inline_outbox(path: Path) -> dict[str, bytes]:
    """An outbox as a release before the split left it, with every state and a purged row."""
    records = _records()
    payloads = {name: encode_record(r) for name, r in records.items()}
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_INLINE_LAYOUT)
    with db:
        for name, state, attempts, error, sent_at in _ROWS:
            r = records[name]
            db.execute(
                "INSERT INTO versions (record_id, revision, complete, created_at, payload, "
                "state, attempts, last_error, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.record_id, r.revision, int(r.complete), time.time(), payloads[name],
                 state, attempts, error, sent_at),
            )  # fmt: skip
        db.execute("DELETE FROM versions WHERE record_id = ?", (records["gone"].record_id,))
    db.close()
    return payloads


def _split_outbox(path: Path) -> dict[str, bytes]:
    """An outbox as a ``user_version`` 2 release left it: appended through its view, states
    then set as its forwarder and purge did."""
    records = _records()
    payloads = {name: encode_record(r) for name, r in records.items()}
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SPLIT_LAYOUT)
    with db:
        for name, state, attempts, error, sent_at in _ROWS:
            r = records[name]
            db.execute(
                "INSERT INTO incoming (record_id, revision, complete, created_at, payload, "
                "parked) VALUES (?, ?, ?, ?, ?, NULL)",
                (r.record_id, r.revision, int(r.complete), time.time(), payloads[name]),
            )
            db.execute(
                "UPDATE versions SET state = ?, attempts = ?, last_error = ?, sent_at = ? "
                "WHERE seq = (SELECT max(seq) FROM versions)",
                (state, attempts, error, sent_at),
            )
        db.execute("DELETE FROM versions WHERE record_id = ?", (records["gone"].record_id,))
    db.close()
    return payloads


LAYOUTS: dict[str, Callable[[Path], dict[str, bytes]]] = {
    "user_version-0": _inline_outbox,
    "user_version-2": _split_outbox,
}
old_layout = pytest.mark.parametrize("build", LAYOUTS.values(), ids=LAYOUTS.keys())


def _raw_count(path: Path, table: str) -> int:
    """Rows in ``table`` read without the store, which would ingest first."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _layout(path: Path) -> dict[str, object]:
    """The file's tables and columns, indexes, views and triggers (not their SQL text: a table
    renamed by a migration keeps its columns but has its name quoted)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        objects = sorted(
            (str(t), str(n), str(tbl))
            for t, n, tbl in db.execute("SELECT type, name, tbl_name FROM sqlite_master")
        )
        columns = {
            table: [tuple(row) for row in db.execute(f"PRAGMA table_info({table})")]
            for table in ("payloads", "versions")
        }
        version = db.execute("PRAGMA user_version").fetchone()[0]
    return {"objects": objects, "columns": columns, "user_version": version}


@old_layout
def test_an_old_outbox_is_migrated_with_every_state_kept(
    tmp_path: Path, build: Callable[[Path], dict[str, bytes]]
) -> None:
    path = tmp_path / "outbox.sqlite"
    payloads = build(path)
    outbox = Outbox(path)
    status = outbox.status()
    assert (status.pending, status.sent, status.parked, status.versions) == (1, 1, 1, 4)
    kept = {
        (r["revision"], r["state"], r["attempts"], r["last_error"])
        for r in outbox.execute("SELECT * FROM versions")
    }
    assert kept == _KEPT
    stored = {
        (r["record_id"], r["revision"], bytes(r["payload"]))
        for r in outbox.execute("SELECT * FROM payloads")
    }
    records = _records()
    assert stored == {
        (records[name].record_id, records[name].revision, payloads[name])
        for name in ("old", "pending", "sent", "parked")
    }
    outbox.close()
    fresh = Outbox(tmp_path / "fresh.sqlite")
    fresh.status()
    fresh.close()
    assert _layout(path) == _layout(tmp_path / "fresh.sqlite")
    assert _layout(path)["user_version"] == VERSION


@old_layout
async def test_a_migrated_outbox_forwards_its_pending_record_and_takes_new_ones(
    tmp_path: Path, build: Callable[[Path], dict[str, bytes]]
) -> None:
    path = tmp_path / "outbox.sqlite"
    payloads = build(path)
    outbox = Outbox(path)
    transport = SpoolTransport(tmp_path / "spool")
    result = await forward(outbox, transport)
    assert (result.sent, result.parked, result.failed) == (1, 0, 0)
    (message,) = await transport.consume(10, 0.1)
    assert message.body == payloads["pending"]
    await transport.ack(message)
    newer = make_record("room_pending", revision=3)
    outbox.append(newer)
    (seq,) = [r["seq"] for r in outbox.execute("SELECT seq FROM payloads WHERE revision = 3")]
    # never the seq of the purged newest version, which a forwarder may have held
    assert seq == _HIGHEST_SEQ + 1
    assert (await forward(outbox, transport)).sent == 1
    (message,) = await transport.consume(10, 0.1)
    data = decode_envelope(message.body)[1]
    assert (data["session_id"], data["revision"]) == ("room_pending", 3)
    (newest,) = [r for r in outbox.newest_versions() if r["record_id"] == newer.record_id]
    assert (newest["seq"], newest["revision"], newest["state"]) == (seq, 3, "sent")
    await transport.close()


@old_layout
def test_migration_is_all_or_nothing(
    tmp_path: Path, build: Callable[[Path], dict[str, bytes]]
) -> None:
    """A file another process holds write-locked is left as it was (and the append buffered)."""
    path = tmp_path / "outbox.sqlite"
    build(path)
    before = _layout(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    outbox = Outbox(path, OutboxSettings(busy_timeout_ms=0))
    outbox.append(make_record("room_new"))
    assert outbox.buffered == 1
    holder.execute("ROLLBACK")
    holder.close()
    assert _layout(path) == before  # still the old layout: nothing half-done
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
    with pytest.raises(sqlite3.DatabaseError, match="newer than this build") as refused:
        outbox.status()
    assert "\n" not in str(refused.value)


def test_an_append_is_one_insert_into_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path)
    outbox.append(make_record("room_a", revision=1))
    statements: list[str] = []
    conn = outbox._connection()
    conn.set_trace_callback(statements.append)
    outbox.append(make_record("room_a", revision=2))
    conn.set_trace_callback(None)
    # SQLite traces each trigger step as well: a trigger on the journal would show up here
    issued = [s.split(" (", 1)[0] for s in statements]
    assert issued == ["BEGIN DEFERRED", "INSERT INTO payloads", "COMMIT"], statements


def test_an_append_writes_only_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path)
    outbox.append(make_record("room_a", revision=1))
    outbox.append(make_record("room_a", revision=2))
    assert (_raw_count(path, "payloads"), _raw_count(path, "versions")) == (2, 0)
    with sqlite3.connect(path) as db:
        on_journal = db.execute(
            "SELECT type, name FROM sqlite_master "
            "WHERE tbl_name = 'payloads' AND type IN ('index', 'trigger')"
        ).fetchall()
    assert on_journal == []  # no index or trigger adds pages to an append
    # the next read stores the versions, classified as an append used to
    assert [(r["revision"], r["state"]) for r in outbox.execute("SELECT * FROM versions")] == [
        (1, "superseded"),
        (2, "pending"),
    ]
    assert _raw_count(path, "versions") == 2


def test_a_read_with_nothing_new_takes_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = Outbox(path, OutboxSettings(busy_timeout_ms=0))
    outbox.append(make_record())
    assert outbox.status().pending == 1  # ingested here
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert outbox.status().pending == 1
        assert len(outbox.newest_versions()) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()


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


@old_layout
def test_status_command_migrates_an_old_outbox(
    tmp_path: Path, build: Callable[[Path], dict[str, bytes]]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    build(home / "outbox.sqlite")
    done = subprocess.run(
        [sys.executable, "-m", "signalroom", "outbox", "status", "--home", str(home), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"pending": 1' in done.stdout and '"versions": 4' in done.stdout
    assert _layout(home / "outbox.sqlite")["user_version"] == VERSION
