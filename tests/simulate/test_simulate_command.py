"""``signalroom simulate`` run as a user runs it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port  # closed again: nothing listens there


def test_unreachable_queue_with_no_service_exits_nonzero_and_keeps_the_record(
    tmp_path: Path,
) -> None:
    # As demo does: a record that did not reach the queue is a failure, never a silent 0.
    script = tmp_path / "call.json"
    script.write_text(json.dumps({"turns": ["hi, we are a team of 8 lawyers"]}))
    home = tmp_path / "home"
    queue = f"redis://127.0.0.1:{_closed_port()}/0"
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "simulate", "--script", str(script),
         "--home", str(home), "--queue", queue, "--no-service"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert "not delivered to the queue" in line and "outbox drain" in line
    status = subprocess.run(
        [sys.executable, "-m", "signalroom", "outbox", "status", "--json", "--home", str(home)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(status.stdout)["pending"] == 1
