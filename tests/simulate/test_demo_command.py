"""``signalroom demo`` as a user runs it: a month of marked, priced calls; re-runs replace them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from signalroom.cli_common import shell_command

pytestmark = pytest.mark.slow


def _demo(home: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "demo", "--home", str(home), "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    summary: dict[str, object] = json.loads(proc.stdout)
    return summary


def _sessions(home: Path) -> list[tuple[str, datetime, float, float, str]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute(
            "SELECT s.session_id, s.start_time, s.duration_seconds, f.cost_usd, "
            "json_extract_string(s.record, '$.metadata.simulated') "
            "FROM sessions s JOIN session_facts f USING (record_id) ORDER BY s.start_time"
        ).fetchall()
    return [(str(a), b, float(c), float(d), str(e)) for a, b, c, d, e in rows]


def test_demo_twice_replaces_its_calls_and_they_look_like_a_month(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    first = _demo(home, "--sessions", "8")
    rows = _sessions(home)
    assert len(rows) == 8 and len({r[0] for r in rows}) == 8
    starts = [r[1] for r in rows]
    assert (max(starts) - min(starts)) > timedelta(days=3)
    assert max(starts) < datetime.now(UTC).replace(tzinfo=None)
    assert all(r[2] > 10 for r in rows), "durations come from the timing model"
    assert all(r[3] > 0 for r in rows), "costs come from the production models' prices"
    assert all(r[4] == "true" for r in rows)
    replaced = first["replaced"]
    assert isinstance(replaced, dict) and not any(replaced.values())
    report = (home / "report.html").read_text()
    assert 'id="simulated-badge"' in report

    second = _demo(home, "--sessions", "8")
    again = _sessions(home)
    assert len(again) == 8 and sorted(r[0] for r in again) == sorted(r[0] for r in rows)
    replaced = second["replaced"]
    assert isinstance(replaced, dict) and replaced["warehouse"] == 8

    # another seed adds its own calls beside them
    _demo(home, "--sessions", "2", "--seed", "9")
    ids = [r[0] for r in _sessions(home)]
    assert len(ids) == len(set(ids)) == 10


def test_the_closing_hint_is_a_command_that_works_as_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    assert shell_command("dashboard", "--home", "my demo") == (
        "uv run signalroom dashboard --home 'my demo'"
    )
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    assert shell_command("dashboard").endswith(" -m signalroom dashboard")
    script = bin_dir / "signalroom"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert shell_command("dashboard", "--home", "d") == "signalroom dashboard --home d"

    # The printed hint runs: here, from the demo's own environment.
    env = {k: v for k, v in os.environ.items() if k != "UV_RUN_RECURSION_DEPTH"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    home = tmp_path / "d"
    summary = _demo(home, "--sessions", "1", "--no-service", env=env)
    hint = str(summary["dashboard_command"])
    assert hint.startswith("signalroom dashboard --home ")
    help_run = subprocess.run(
        [*hint.split()[:2], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert help_run.returncode == 0 and "Usage" in help_run.stdout


def test_simulate_prints_each_tool_call_with_what_it_was_given(tmp_path: Path) -> None:
    script = tmp_path / "call.json"
    script.write_text(
        json.dumps({"turns": ["Hi, we're a law firm with 12 people.", "How much does it cost?"]})
    )
    home = tmp_path / "home"
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "simulate", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SIGNALROOM_HOME": str(home), "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    tools = [
        line.split(None, 1)[1].strip()
        for line in proc.stdout.splitlines()
        if line.split()[:1] == ["tool"]
    ]
    assert "record_signal team_size=12" in tools and "record_signal industry=legal" in tools
    assert any(t.startswith("search_knowledge 'How much does it cost?'") for t in tools), tools
    assert not any("''" in t or "success=None" in t for t in tools), tools
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        flag = db.execute(
            "SELECT json_extract_string(record, '$.metadata.simulated') FROM sessions"
        ).fetchall()
    assert flag == [("true",)]
