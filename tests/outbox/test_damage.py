"""A damaged outbox file is moved aside (kept), reported once, and a fresh outbox takes over."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalroom.outbox import Outbox
from signalroom.outbox.damage import (
    Damage,
    add_listener,
    find_damaged,
    remove_listener,
)
from tests.outbox.records import make_record


@pytest.fixture
def reported() -> Iterator[list[Damage]]:
    seen: list[Damage] = []
    add_listener(seen.append)
    yield seen
    remove_listener(seen.append)


def _outbox_with_one_pending(path: Path) -> None:
    outbox = Outbox(path)
    outbox.append(make_record())
    outbox.close()


def _damaged_set(path: Path) -> list[Path]:
    (moved,) = find_damaged(path)
    return [moved, *moved.parent.glob(moved.name + "-*")]


def test_a_zero_byte_outbox_is_moved_aside_with_its_wal(
    tmp_path: Path, reported: list[Damage]
) -> None:
    path = tmp_path / "outbox.sqlite"
    source = tmp_path / "source.sqlite"
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES ('the newest record')")
    # a crash left the write-ahead log holding the data and the main file empty
    shutil.copy(tmp_path / "source.sqlite-wal", tmp_path / "outbox.sqlite-wal")
    conn.close()
    path.write_bytes(b"")
    wal = (tmp_path / "outbox.sqlite-wal").read_bytes()

    outbox = Outbox(path)
    outbox.append(make_record())
    assert outbox.status().pending == 1  # a fresh outbox took the new record
    outbox.close()

    assert [d.reason for d in reported] == ["0-byte file beside its write-ahead log"]
    moved = reported[0].moved_to
    assert moved.exists() and moved.stat().st_size == 0  # kept, not deleted
    assert moved.with_name(moved.name + "-wal").read_bytes() == wal  # the data is kept
    assert "moved aside" in reported[0].line() and str(path) in reported[0].line()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not a database at all " * 200), id="garbage"),
        pytest.param(lambda p: _trash_pages(p), id="trashed-pages"),
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[:100]), id="truncated-header"),
    ],
)
def test_a_corrupted_outbox_is_moved_aside_and_a_fresh_one_used(
    tmp_path: Path, reported: list[Damage], damage: object
) -> None:
    path = tmp_path / "outbox.sqlite"
    _outbox_with_one_pending(path)
    before = path.read_bytes()
    damage(path)  # type: ignore[operator]
    damaged = path.read_bytes()
    assert damaged != before

    outbox = Outbox(path)
    assert outbox.status().pending == 0
    outbox.append(make_record())
    assert outbox.status().pending == 1
    outbox.close()
    assert len(reported) == 1
    assert reported[0].moved_to.read_bytes() == damaged  # byte for byte as it was found
    assert _damaged_set(path)
    # a healthy outbox is not moved again: one report per damage
    Outbox(path).status()
    assert len(reported) == 1


def _trash_pages(path: Path) -> None:
    """Keep the header, overwrite the pages after it: SQLite calls the file malformed."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    data[100 : len(data)] = b"\xa5" * (len(data) - 100)
    assert len(data) >= page
    path.write_bytes(bytes(data))


def test_a_zero_byte_outbox_alone_holds_nothing_and_is_left(
    tmp_path: Path, reported: list[Damage]
) -> None:
    """A new database is 0 bytes until SQLite writes its header: another process may be
    creating it this instant, so it is never moved away from under that process."""
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"")
    outbox = Outbox(path)
    outbox.append(make_record())
    assert outbox.status().pending == 1
    outbox.close()
    assert reported == [] and find_damaged(path) == []


def test_an_outbox_that_is_not_a_file_is_not_damage(tmp_path: Path) -> None:
    """A path that cannot be opened at all is a disk problem: records wait in memory."""
    path = tmp_path / "outbox.sqlite"
    path.mkdir()
    outbox = Outbox(path)
    outbox.append(make_record())  # never raises
    assert outbox.buffered == 1 and outbox.error_count == 1
    assert find_damaged(path) == [] and path.is_dir()
    outbox.close()


def test_healthy_outbox_is_left_alone(tmp_path: Path, reported: list[Damage]) -> None:
    path = tmp_path / "outbox.sqlite"
    _outbox_with_one_pending(path)
    assert Outbox(path).status().pending == 1
    assert reported == [] and find_damaged(path) == []


def test_processes_opening_one_damaged_outbox_at_once_move_it_once(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"garbage " * 512)
    code = (
        "import sys; from pathlib import Path; from signalroom.outbox import Outbox; "
        "o = Outbox(Path(sys.argv[1])); print(o.status().pending); o.close()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    assert all(out.strip() == b"0" for out in outputs)
    assert len(find_damaged(path)) == 1
    assert Outbox(path).status().pending == 0
