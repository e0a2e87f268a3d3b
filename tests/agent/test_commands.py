"""`signalroom agent ...` refuses to start without what it needs; `signalroom simulate` runs a call."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ALL_KEYS = (
    "LIVEKIT_URL",
    "LIVEKIT_API_KEY",
    "LIVEKIT_API_SECRET",
    "OPENAI_API_KEY",
    "DEEPGRAM_API_KEY",
    "CARTESIA_API_KEY",
)


def _run(args: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in ALL_KEYS and not k.startswith("SIGNALROOM_")
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "signalroom", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        check=False,
    )


def test_start_lists_every_missing_key_in_one_message(tmp_path: Path) -> None:
    result = _run(["agent", "start"], tmp_path, OPENAI_API_KEY="sk-test")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for name in (
        "LIVEKIT_URL",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "DEEPGRAM_API_KEY",
        "CARTESIA_API_KEY",
    ):
        assert name in lines[0]
    assert "OPENAI_API_KEY" not in lines[0]  # it was given


def test_console_needs_model_keys_but_no_livekit_server(tmp_path: Path) -> None:
    result = _run(["agent", "console"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "OPENAI_API_KEY" in result.stderr and "DEEPGRAM_API_KEY" in result.stderr
    assert "LIVEKIT_URL" not in result.stderr


def test_console_text_needs_only_the_llm_key(tmp_path: Path) -> None:
    result = _run(["agent", "console", "--text"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    for name in ("DEEPGRAM_API_KEY", "CARTESIA_API_KEY", "LIVEKIT_URL", "portaudio"):
        assert name not in result.stderr


def test_download_files_downloads_for_the_configured_plugins(tmp_path: Path) -> None:
    (tmp_path / "signalroom.toml").write_text(
        '[agent]\nstt = "none"\ntts = "none"\nvad = "silero"\n'
    )
    result = _run(["agent", "download-files"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "configured plugins: livekit.plugins.openai" in result.stderr
    assert "downloading files for livekit.plugins.openai" in result.stderr


def test_agent_help_lists_the_worker_commands() -> None:
    from typer.testing import CliRunner

    from signalroom.cli import app

    result = CliRunner().invoke(app, ["agent", "--help"])
    assert result.exit_code == 0
    for name in ("chat", "console", "start", "dev", "download-files"):
        assert name in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"turns": "hello"}', "must be an object like"),
        ('{"turns": []}', "has no turns"),
        ('{"turns": ["hi", 3]}', "turns[1] must be a non-empty string"),
    ],
)
def test_simulate_rejects_a_bad_script(tmp_path: Path, content: str, message: str) -> None:
    from signalroom.console import CommandFailed
    from signalroom.simulate.commands import read_script

    script = tmp_path / "call.json"
    script.write_text(content)
    with pytest.raises(CommandFailed, match=re.escape(message)) as err:
        read_script(script)
    assert err.value.code == 2


def test_simulate_bad_script_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run(["simulate", "--script", str(tmp_path / "missing.json")], tmp_path / "home")
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_simulate_delivers_a_call_like_the_demo(tmp_path: Path) -> None:
    script = tmp_path / "call.json"
    script.write_text(
        json.dumps({"turns": ["Hi, we're a law firm with 12 people.", "How much does it cost?"]})
    )
    home = tmp_path / "home"
    result = _run(["simulate", "--script", str(script), "--json"], home)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["complete"] and record["user_turns"] == 2
    assert record["discovered_signals"]["team_size"] == 12
    assert (home / "outbox.sqlite").exists()

    from signalroom.outbox import Outbox

    status = Outbox(home / "outbox.sqlite").status()
    assert (status.pending, status.sent) == (0, 1)

    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT record_id, complete FROM sessions").fetchall()
    finally:
        con.close()
    assert rows == [(record["record_id"], True)]


@pytest.mark.slow
def test_dev_runs_the_worker_through_livekits_current_launcher(tmp_path: Path) -> None:
    """`python -m livekit.agents start --dev` on our AgentServer: no deprecated CLI on the way."""
    import signal
    import time

    (tmp_path / "signalroom.toml").write_text(
        '[agent]\nllm_base_url = "http://127.0.0.1:9/v1"\nstt = "none"\ntts = "none"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ALL_KEYS}
    env.update(
        SIGNALROOM_HOME=str(tmp_path),
        LIVEKIT_URL="ws://127.0.0.1:9",  # nothing listens: the worker keeps trying to register
        LIVEKIT_API_KEY="key",
        LIVEKIT_API_SECRET="secret",
    )
    proc = subprocess.Popen(
        [sys.executable, "-W", "always::DeprecationWarning", "-m", "signalroom", "agent", "dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "preloading plugins" in line:  # the worker is up, its plugins registered
                break
        assert any("preloading plugins" in line for line in lines), "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    output = "".join(lines) + out
    assert "starting worker" in output and "plugin registered" in output
    assert "livekit.plugins.openai" in output
    assert "deprecated" not in output.lower(), output
