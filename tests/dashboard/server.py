"""Run the real ``signalroom dashboard`` command in a subprocess for end-to-end tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def signalroom_cmd() -> list[str]:
    found = shutil.which("signalroom", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from signalroom.cli import main; main()"]


@contextmanager
def dashboard_server(
    warehouse_url: str,
    home: Path,
    *,
    host: str = "127.0.0.1",
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start ``signalroom dashboard --port 0`` and yield its base URL once it answers."""
    proc = subprocess.Popen(
        [
            *signalroom_cmd(),
            "dashboard",
            "--home",
            str(home),
            "--warehouse",
            warehouse_url,
            "--host",
            host,
            "--port",
            "0",
            *extra,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"ready at (http://\S+?)/ ", line)
        assert match, f"dashboard did not start: {line}{proc.stderr.read() if proc.poll() else ''}"
        base = match.group(1)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, f"dashboard exited: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "dashboard did not answer /healthz in 120 s"
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
