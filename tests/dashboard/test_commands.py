"""``signalroom dashboard`` as users run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
from typer.testing import CliRunner, Result

from signalroom.console import CommandFailed
from tests.dashboard.server import signalroom_cmd


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIGNALROOM_DASHBOARD__TOKEN"}
    return subprocess.run(
        [*signalroom_cmd(), *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_refuses_to_bind_beyond_localhost_without_a_token(tmp_path: Path):
    result = _run("dashboard", "--home", str(tmp_path), "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "without a token" in lines[0] and "SIGNALROOM_DASHBOARD__TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def _invoke(*args: str) -> Result:
    """The real ``signalroom`` app, in this process (faster than a subprocess)."""
    from signalroom.cli import app

    return CliRunner().invoke(app, list(args), env={"SIGNALROOM_DASHBOARD__TOKEN": None})


def test_help_has_an_example():
    result = _invoke("dashboard", "--help")
    assert result.exit_code == 0
    assert "Example: signalroom dashboard" in result.output


def test_report_option_writes_the_snapshot(warehouse_url, tmp_path: Path):
    out = tmp_path / "snap" / "report.html"
    result = _invoke(
        "dashboard", "--home", str(tmp_path), "--warehouse", warehouse_url, "--report", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "vegaEmbed" in out.read_text()


def test_serves_pages_over_http(base_url, records):
    overview = httpx.get(f"{base_url}/?days=all", timeout=10)
    call = httpx.get(f"{base_url}/calls/{records[0].session_id}", timeout=10)
    assert overview.status_code == 200
    assert f'id="kpi-calls">{len(records)}<' in overview.text
    assert call.status_code == 200


def test_busy_port_is_a_clear_error(warehouse_url, tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _invoke(
            "dashboard", "--home", str(tmp_path), "--warehouse", warehouse_url, "--port", str(port)
        )
    assert isinstance(result.exception, CommandFailed)
    assert result.exception.code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in str(result.exception)
