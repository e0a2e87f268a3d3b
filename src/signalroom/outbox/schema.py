"""The outbox file's tables, the one statement an append runs, and the migration of older files.

Layout (``PRAGMA user_version`` 2): ``versions`` holds one small row per record version (its
state, attempts, last error) and ``payloads`` the envelope bytes under the same ``seq``. An
envelope is 5–20 KB and lives in overflow pages; with it in its own table, marking a batch sent
or counting an attempt rewrites a few bytes instead of every envelope of the batch.

An append is one ``INSERT`` into the ``incoming`` view: its trigger stores the version (already
``superseded`` when a newer revision is stored, ``parked`` when the caller gave a reason), the
payload, and supersedes the older pending versions of the record, all inside that statement.

Files written before the split (``user_version`` 0, ``payload`` inside ``versions``) are
migrated in one transaction the first time this build opens them; nothing pending is lost.
"""

from __future__ import annotations

import sqlite3

VERSION = 2

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

_TABLES = f"""
CREATE TABLE IF NOT EXISTS versions (
{_VERSIONS_COLUMNS});
CREATE TABLE IF NOT EXISTS payloads (
    seq     INTEGER PRIMARY KEY,
    payload BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_record ON versions (record_id, revision);
CREATE INDEX IF NOT EXISTS versions_state ON versions (state, seq);
"""

# Inside a trigger last_insert_rowid() is the row the trigger itself just inserted.
_APPEND = """
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
"""

#: The one statement of an append (see the module docstring).
APPEND = (
    "INSERT INTO incoming (record_id, revision, complete, created_at, payload, parked) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)

# The split of a file from before ``payloads`` existed: same seqs, same states.
_MIGRATE_1 = f"""
CREATE TABLE payloads (seq INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO payloads (seq, payload) SELECT seq, payload FROM versions;
CREATE TABLE versions_split (
{_VERSIONS_COLUMNS});
INSERT INTO versions_split
    (seq, record_id, revision, complete, created_at, state, attempts, last_error, sent_at)
SELECT seq, record_id, revision, complete, created_at, state, attempts, last_error, sent_at
FROM versions;
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
    script = (_MIGRATE_1 if _has_inline_payloads(conn) else "") + _TABLES + _APPEND
    return [s for s in sqlite3_split(script) if s.strip()]


def _has_inline_payloads(conn: sqlite3.Connection) -> bool:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(versions)")}
    return "payload" in columns


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
