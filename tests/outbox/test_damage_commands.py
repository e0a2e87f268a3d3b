"""Outbox damage and unusable homes, as a user meets them: each command says so in one line,
and no call's record is lost (moved-aside files are kept, records go to a fresh outbox or
straight to the queue, and the command exits non-zero when its record is not safely stored)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from signalroom.outbox import Outbox
from signalroom.outbox.damage import find_damaged
from tests.outbox.records import make_record

pytestmark = pytest.mark.slow

SCRIPT = {"turns": ["Hi, we're a legal firm with 12 people.", "We need Salesforce. Bye."]}


def _run(home: Path, *args: str, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "signalroom", *args, "--home", str(home)]
    return subprocess.run(
        [*(wrap or []), *command],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "SIGNALROOM_HOME"},
    )


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def _script(tmp_path: Path) -> Path:
    path = tmp_path / "call.json"
    path.write_text(json.dumps(SCRIPT))
    return path


def _crashed_outbox(path: Path) -> None:
    """An outbox whose main file was emptied by a crash while its WAL held a pending record."""
    source = path.with_name("source.sqlite")
    outbox = Outbox(source)
    outbox.append(make_record())
    # copied while the writer still has it open: the record is in the WAL only
    shutil.copy(source.with_name("source.sqlite-wal"), path.with_name(path.name + "-wal"))
    outbox.close()
    path.write_bytes(b"")


def _spool_messages(home: Path) -> int:
    with sqlite3.connect(home / "spool" / "spool.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM messages").fetchone()[0])


def test_outbox_status_on_a_corrupted_outbox_says_so_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "outbox.sqlite").write_bytes(b"this is not a database " * 100)
    proc = _run(home, "outbox", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pending"] == 0
    (line,) = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "moved aside" in line and "outbox.sqlite" in line and "not an SQLite" in line
    assert len(find_damaged(home / "outbox.sqlite")) == 1
    # reported once: the next command finds a healthy outbox
    again = _run(home, "outbox", "status", "--json")
    assert again.returncode == 0 and _warnings(again.stderr) == []


def test_forget_on_a_corrupted_outbox_says_so_and_keeps_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "outbox.sqlite").write_bytes(b"this is not a database " * 100)
    proc = _run(home, "forget", "--session", "room-1")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("warning:") and "moved aside" in lines[0]
    assert len(find_damaged(home / "outbox.sqlite")) == 1  # kept, for recovery


def test_simulate_on_a_zero_byte_outbox_delivers_and_doctor_reports_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _crashed_outbox(home / "outbox.sqlite")
    proc = _run(home, "simulate", "--script", str(_script(tmp_path)), "--no-service", "--json")
    assert proc.returncode == 0, proc.stderr
    (line,) = _warnings(proc.stderr)
    assert "0-byte file" in line and "fresh outbox" in line
    assert json.loads(proc.stdout)["complete"] is True
    assert _spool_messages(home) >= 1

    doctor = _run(home, "doctor", "--json")
    outbox = next(c for c in json.loads(doctor.stdout)["checks"] if c["part"] == "outbox")
    (moved,) = find_damaged(home / "outbox.sqlite")
    assert outbox["status"] == "warn" and moved.name in outbox["detail"]


def test_simulate_with_an_unusable_outbox_sends_the_record_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    blocked = home / "blocked.sqlite"
    blocked.mkdir()  # SQLite cannot open a folder: every write fails, as on a broken disk
    (home / "signalroom.toml").write_text(f'[outbox]\npath = "{blocked}"\n')
    proc = _run(home, "simulate", "--script", str(_script(tmp_path)), "--no-service", "--json")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["complete"] is True  # the record is printed too
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(blocked) in errors[0]
    assert "sent straight to the queue" in errors[0] and "unexpected" not in proc.stderr
    assert _spool_messages(home) == 1
    # the service drains the queue even though it cannot read the home's outbox
    service = _run(home, "service", "--until-idle", "--json")
    assert service.returncode == 0, service.stderr
    assert json.loads(service.stdout)["applied"] == 1


def test_simulate_with_an_unreachable_queue_exits_non_zero(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _run(
        home,
        "simulate",
        "--script",
        str(_script(tmp_path)),
        "--no-service",
        "--queue",
        "redis://127.0.0.1:1/0?stream=nowhere",
    )
    assert proc.returncode == 1, proc.stderr
    assert "not delivered to the queue" in proc.stderr and "outbox drain" in proc.stderr


def _read_only(home: Path) -> list[str] | None:
    """A command prefix that runs with ``home`` read-only, or None when none can be made."""
    if os.geteuid() != 0:
        home.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        return None
    # root ignores permission bits: a read-only bind mount in a private mount namespace
    probe = subprocess.run(
        ["unshare", "--mount", "true"], capture_output=True, check=False, timeout=30
    )
    if probe.returncode != 0:
        return None
    return [
        "unshare",
        "--mount",
        "--",
        "sh",
        "-c",
        'mount --bind -o ro "$0" "$0" && exec "$@"',
        str(home),
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["service", "--until-idle"],
        ["forget", "--session", "room-1"],
        ["simulate", "--script", "{script}"],
        ["demo", "--sessions", "1"],
        # not checked up front: the last-resort handler names the path it could not write
        ["service", "reanalyze"],
    ],
    ids=["service", "forget", "simulate", "demo", "reanalyze"],
)
def test_a_read_only_home_is_a_one_line_error_naming_it(tmp_path: Path, args: list[str]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    script = _script(tmp_path)
    wrap = _read_only(home)
    if wrap is None:
        pytest.skip("no way to make a read-only folder for this user here")
    try:
        proc = _run(home, *[a.format(script=script) for a in args], wrap=wrap)
    finally:
        home.chmod(0o755)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and str(home) in lines[0]
    assert "unexpected" not in lines[0] and "report it" not in lines[0]
