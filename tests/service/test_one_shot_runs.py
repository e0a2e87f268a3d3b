"""``signalroom service --until-idle`` as a one-shot drain: it ends, and it says why."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from signalroom.config import load_settings
from signalroom.outbox import Outbox
from signalroom.record import SessionRecord


def _service(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signalroom", "service", "--until-idle", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, **env},
    )


def test_an_unreachable_queue_ends_the_run_with_an_error(tmp_path: Path) -> None:
    proc = _service(
        tmp_path,
        "--queue",
        "redis://127.0.0.1:9/0?stream=nowhere",  # port 9 (discard): nothing listens here
        SIGNALROOM_SERVICE__UNREACHABLE_S="1",
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "error: redis consume" in proc.stderr and "hint:" in proc.stderr


def test_an_unreachable_warehouse_is_refused_at_start(tmp_path: Path) -> None:
    proc = _service(tmp_path, "--warehouse", "postgresql://postgres@127.0.0.1:9/none")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "PostgreSQL" in proc.stderr or "warehouse" in proc.stderr


def test_a_checkpoint_left_in_the_home_outbox_is_delivered(tmp_path: Path) -> None:
    """A worker killed mid-call leaves only its checkpoint in the outbox: the service sends it."""
    settings = load_settings(tmp_path)
    checkpoint = SessionRecord(
        session_id="killed-call",
        start_time=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        revision=2,
        complete=False,
    )
    outbox = Outbox(settings.outbox_path, settings.outbox)
    outbox.append(checkpoint)
    outbox.close()

    proc = _service(tmp_path)
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT session_id, revision, complete FROM sessions").fetchall()
    finally:
        con.close()
    assert rows == [("killed-call", 2, False)]
    assert Outbox(settings.outbox_path).status().pending == 0
