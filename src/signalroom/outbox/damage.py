"""Outbox damage is never silent: a damaged ``outbox.sqlite`` is moved aside, kept, and reported.

Checked each time the outbox opens its database (:func:`open_checked`, the one call the store
makes):

- a 0-byte file beside a non-empty write-ahead log or journal (SQLite would take it for a
  new, empty database and throw the log, which holds the newest records, away). SQLite writes
  a new database's header before its log exists, so this never happens to a healthy outbox;
  a 0-byte file alone holds nothing and may be one another process is creating: it is left;
- a file that does not start with SQLite's header, or that SQLite cannot read as a database
  (``SQLITE_NOTADB``, ``SQLITE_CORRUPT``), at open or in ``PRAGMA quick_check``.

Such a file is renamed ``outbox.sqlite.damaged-<UTC time>`` with its ``-wal``, ``-shm`` and
``-journal`` companions (nothing is deleted: what it still holds can be recovered by hand), a
fresh outbox takes new records, and the event is reported once: to every listener added with
:func:`signalroom.outbox.notices.add_listener` (the ``signalroom`` command prints it as one
line on stderr) and to the
``signalroom.outbox.damage`` log. :func:`find_damaged` lists what was moved aside, for
``signalroom doctor``.

A locked, read-only or full disk is not damage, and neither is a file this user may not read
(it may be another user's live outbox): those errors reach the store, which holds records in
memory until the disk recovers, and the command names the path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from signalroom.outbox.notices import add_listener, notify, remove_listener

__all__ = [
    "Damage",
    "add_listener",
    "find_damaged",
    "open_checked",
    "quarantine",
    "remove_listener",
]

log = logging.getLogger("signalroom.outbox.damage")
# where no logging is set up, the listeners speak (Python's last-resort stderr handler would
# print the same news a second time); configured handlers still receive it
log.addHandler(logging.NullHandler())

MARK = ".damaged-"
_HEADER = b"SQLite format 3\x00"
_COMPANIONS = ("-wal", "-shm", "-journal")
#: SQLite's primary result codes that mean the file itself is not a usable database.
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


@dataclass(frozen=True, slots=True)
class Damage:
    """One damaged outbox file, and where it now is."""

    path: Path
    moved_to: Path
    reason: str

    def line(self) -> str:
        return (
            f"outbox {self.path} was damaged ({self.reason}): moved aside to "
            f"{self.moved_to.name} (kept for recovery); new records go to a fresh outbox"
        )


#: Files (device, inode, size, mtime) this process has quick-checked already: a file changed
#: since is checked again.
_checked: set[tuple[int, int, int, int]] = set()
_lock = threading.Lock()


def open_checked(path: Path, opener: Callable[[], sqlite3.Connection]) -> sqlite3.Connection:
    """``opener()``'s connection to ``path``, after moving a damaged file aside (module doc).

    The check and the open run under an exclusive lock on the folder, so no process checks a
    database another one is creating (a new database may be 0 bytes beside its first log
    frames for a moment), and two processes that find the same damage move it once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(path.parent):
        reason = _damage_on_disk(path)
        if reason is None:
            try:
                conn = opener()
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc) or not path.is_file():
                    raise
                reason = str(exc)
            else:
                try:
                    reason = _damage_in_database(conn, path)
                except sqlite3.DatabaseError as exc:
                    if not is_damage(exc):
                        conn.close()
                        raise
                    reason = str(exc)
                if reason is None:
                    return conn
                conn.close()
        damage = _move_aside(path, reason)
        conn = opener()
    _report(damage)
    return conn


def is_damage(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file is not a database or is malformed (not locked, not full)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def quarantine(path: Path, reason: str) -> Damage:
    """Move ``path`` and its companions aside, report it, and return where they went."""
    with _folder_lock(path.parent):
        damage = _move_aside(path, reason)
    _report(damage)
    return damage


def _move_aside(path: Path, reason: str) -> Damage:
    target = _free_name(path)
    os.replace(path, target)
    for suffix in _COMPANIONS:
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            os.replace(companion, target.with_name(target.name + suffix))
    _sync_directory(path.parent)
    return Damage(path, target, reason)


def _report(damage: Damage) -> None:
    log.error(damage.line())
    notify(damage)


def find_damaged(path: Path) -> list[Path]:
    """Damaged outbox files moved aside from ``path``, oldest first."""
    if not path.parent.is_dir():
        return []
    return sorted(
        p for p in path.parent.glob(f"{path.name}{MARK}*") if not p.name.endswith(_COMPANIONS)
    )


def _damage_on_disk(path: Path) -> str | None:
    try:
        if not path.is_file():
            return None
        if path.stat().st_size == 0:
            logs = [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal")]
            if any(log.is_file() and log.stat().st_size > 0 for log in logs):
                return "0-byte file beside its write-ahead log"
            return None
        with path.open("rb") as f:
            header = f.read(len(_HEADER))
    except OSError:  # permissions, I/O: a disk problem for the store to report, not damage
        return None
    if header != _HEADER:
        return "not an SQLite database"
    return None


def _damage_in_database(conn: sqlite3.Connection, path: Path) -> str | None:
    """SQLite's own quick check (page structure, not index contents), once per file and
    version of the file: it is linear in the file, and a reopen after a full or locked disk
    need not pay it again."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key in _checked:
            return None
    rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    first = str(rows[0][0]) if rows else "ok"
    if first != "ok":
        return f"quick_check: {first}"
    with _lock:
        _checked.add(key)
    return None


def forget_checked() -> None:
    """Check every file again at its next open (for tests and benchmarks)."""
    with _lock:
        _checked.clear()


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock (``flock``) on the folder, where the platform has one.

    Held only by :func:`open_checked` and :func:`quarantine`, never nested: two locks on one
    folder from one process would wait on each other.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): processes are not kept apart there
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _free_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = path.with_name(f"{path.name}{MARK}{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{MARK}{stamp}-{n}")
    return target


def _sync_directory(directory: Path) -> None:
    """Make the renames durable, so a crash cannot bring the damaged file back in place."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
