"""The outbox file's tables, the statements of an append and of an ingest, and the migration of
older files.

Layout (``PRAGMA user_version`` 3):

- ``payloads`` is the append-only journal: one row per record version as the agent handed it
  over (``seq``, ``record_id``, ``revision``, ``complete``, ``created_at``, ``parked`` — the
  reason the append gave for parking it, or NULL — and the envelope bytes), with no secondary
  index. An append is one plain ``INSERT`` into it (:data:`APPEND`) and writes no other table,
  so it costs the agent the pages of a bare insert (the row and its overflow pages) and the
  journal's sequence counter.
- ``versions`` holds one small row per ingested version under the same ``seq``: its state,
  attempts, last error. An envelope is 5–20 KB and lives in overflow pages; with it apart,
  marking a batch sent or counting an attempt rewrites a few bytes instead of every envelope
  of the batch. Deleting a version deletes its payload (the ``versions_delete`` trigger).

A payload without a ``versions`` row is not ingested yet. :data:`INGEST` inserts every such row,
in ``seq`` (append) order, into the ``ingest`` view, whose trigger stores the version — already
``superseded`` when a newer revision is stored, ``parked`` when the append gave a reason — and
supersedes the older pending versions of the record. The store runs it at the start of every
read or maintenance transaction, so what an append leaves behind is classified exactly as if it
had been classified at append: a stale revision appended after a newer one is still stored
superseded, and of equal revisions the later append wins.

Older files are migrated in one transaction the first time this build opens them, keeping
every ``seq``, state, attempt count and error; the payloads' ``seq`` continues after the highest
one the file ever gave out:

- ``user_version`` 2: ``payloads (seq, payload)`` beside ``versions``, appended through a view
  whose trigger wrote both;
- ``user_version`` 0: one ``versions`` table with the payload inline.
"""

from __future__ import annotations

import sqlite3

VERSION = 3

#: The versions table's columns, shared by its creation and the migration that rebuilds it.
_VERSIONS_COLUMNS = """
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    complete   INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending','sent','parked','superseded')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at    REAL
"""

# AUTOINCREMENT: a seq is never given out twice, even after the newest version was deleted, so
# a forwarder that published seq N can never mark a later append sent in its place. The payload
# comes last: an ingest reads the columns before it without reading its overflow pages.
_PAYLOADS_COLUMNS = """
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id  TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    complete   INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    parked     TEXT,
    payload    BLOB    NOT NULL
"""

_TABLES = f"""
CREATE TABLE IF NOT EXISTS payloads (
{_PAYLOADS_COLUMNS});
CREATE TABLE IF NOT EXISTS versions (
{_VERSIONS_COLUMNS});
CREATE INDEX IF NOT EXISTS versions_record ON versions (record_id, revision);
CREATE INDEX IF NOT EXISTS versions_state ON versions (state, seq);
"""

_INGEST = """
CREATE VIEW IF NOT EXISTS ingest (seq, record_id, revision, complete, created_at, parked)
    AS SELECT NULL, NULL, NULL, NULL, NULL, NULL;
CREATE TRIGGER IF NOT EXISTS ingest_version INSTEAD OF INSERT ON ingest
BEGIN
    INSERT INTO versions (seq, record_id, revision, complete, created_at, state, last_error)
    VALUES (
        NEW.seq, NEW.record_id, NEW.revision, NEW.complete, NEW.created_at,
        CASE
            WHEN EXISTS (SELECT 1 FROM versions
                         WHERE record_id = NEW.record_id AND revision > NEW.revision)
                THEN 'superseded'
            WHEN NEW.parked IS NOT NULL THEN 'parked'
            ELSE 'pending'
        END,
        NEW.parked
    );
    -- "+state": look the record up by versions_record, not every pending row by versions_state
    UPDATE versions SET state = 'superseded'
    WHERE record_id = NEW.record_id AND revision <= NEW.revision AND +state = 'pending'
      AND +seq < NEW.seq;
END;
CREATE TRIGGER IF NOT EXISTS versions_delete AFTER DELETE ON versions
BEGIN
    DELETE FROM payloads WHERE seq = OLD.seq;
END;
"""

#: The one statement of an append (see the module docstring).
APPEND = (
    "INSERT INTO payloads (record_id, revision, complete, created_at, parked, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)

#: How many payloads may wait for a version, at most (the span of their seqs; 0 when none). A
#: read runs it first and takes the write lock (to run :data:`INGEST`) only when it is not 0.
BACKLOG = (
    "SELECT max(0, coalesce((SELECT max(seq) FROM payloads), 0)"
    " - coalesce((SELECT max(seq) FROM versions), 0))"
)

#: Store a version for the oldest ``?`` payloads appended since the last ingest (-1: all), in
#: append order (see the module docstring). Seqs are given out in commit order, so every
#: payload above the highest stored version is new and every one below it has its version.
INGEST = (
    "INSERT INTO ingest (seq, record_id, revision, complete, created_at, parked) "
    "SELECT seq, record_id, revision, complete, created_at, parked FROM payloads "
    "WHERE seq > (SELECT coalesce(max(seq), 0) FROM versions) ORDER BY seq LIMIT ?"
)

# Statements from a file of an earlier layout go first: the current layout's tables, views and
# triggers are then created where missing.

# user_version 2 → 3: payloads get the append's columns (from their version, which every such
# payload has), the append view and its trigger go.
_MIGRATE_2 = f"""
DROP TRIGGER IF EXISTS incoming_append;
DROP VIEW IF EXISTS incoming;
DROP TRIGGER IF EXISTS versions_delete;
CREATE TABLE payloads_journal (
{_PAYLOADS_COLUMNS});
INSERT INTO payloads_journal (seq, record_id, revision, complete, created_at, payload)
SELECT v.seq, v.record_id, v.revision, v.complete, v.created_at, p.payload
FROM versions v JOIN payloads p USING (seq);
DROP TABLE payloads;
ALTER TABLE payloads_journal RENAME TO payloads;
"""

# user_version 0 → 3: the inline payloads move to the journal, versions are rebuilt without them.
_MIGRATE_0 = f"""
CREATE TABLE payloads (
{_PAYLOADS_COLUMNS});
INSERT INTO payloads (seq, record_id, revision, complete, created_at, payload)
SELECT seq, record_id, revision, complete, created_at, payload FROM versions;
CREATE TABLE versions_split (
{_VERSIONS_COLUMNS});
INSERT INTO versions_split
    (seq, record_id, revision, complete, created_at, state, attempts, last_error, sent_at)
SELECT seq, record_id, revision, complete, created_at, state, attempts, last_error, sent_at
FROM versions;
"""

# Run after a migration's copies, while the old versions table and its sqlite_sequence row still
# exist: the next payload's seq follows the highest seq the file ever gave out (a deleted
# newest version included), never one a forwarder may still hold.
_CONTINUE_SEQ = """
DELETE FROM sqlite_sequence WHERE name = 'payloads';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'payloads', max(
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'versions'), 0),
    coalesce((SELECT max(seq) FROM versions), 0),
    coalesce((SELECT max(seq) FROM payloads), 0)
);
"""

_FINISH_0 = """
DROP TABLE versions;
ALTER TABLE versions_split RENAME TO versions;
"""


def ensure(conn: sqlite3.Connection) -> None:
    """Create or migrate the schema on ``conn`` (autocommit mode); idempotent."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > VERSION:
        raise sqlite3.DatabaseError(
            f"outbox schema {version} is newer than this build knows ({VERSION}); "
            "upgrade signalroom to read it"
        )
    if version == VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements(conn):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(conn: sqlite3.Connection) -> list[str]:
    """What brings the file to the current layout, read from its tables (not its number, so a
    file another process migrated or created meanwhile gets only what it still lacks)."""
    versions = _columns(conn, "versions")
    payloads = _columns(conn, "payloads")
    if "payload" in versions:
        migration = _MIGRATE_0 + _CONTINUE_SEQ + _FINISH_0
    elif payloads and "record_id" not in payloads:
        migration = _MIGRATE_2 + _CONTINUE_SEQ
    else:
        migration = ""
    script = migration + _TABLES + _INGEST
    return [s for s in sqlite3_split(script) if s.strip()]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def sqlite3_split(script: str) -> list[str]:
    """Split ``script`` into complete statements (``sqlite3.complete_statement`` knows that a
    trigger body's semicolons do not end it)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    if current.strip():
        statements.append(current)
    return statements
