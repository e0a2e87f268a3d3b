from __future__ import annotations

import json
import subprocess
import sys

import typer.main
from typer.testing import CliRunner

from signalroom.cli import app
from signalroom.record import json_schema

runner = CliRunner()


def test_schema_command_prints_the_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()


def test_every_command_has_help_with_an_example() -> None:
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    paths = [p for p in _command_paths(typer.main.get_command(app), []) if p]
    assert len(paths) > 10, paths
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.stdout, f"`signalroom {' '.join(path)} --help` has no example"


def _command_paths(command: object, path: list[str]) -> list[list[str]]:
    found = [path]
    sub = getattr(command, "commands", None)
    if isinstance(sub, dict):
        for name, child in sub.items():
            found.extend(_command_paths(child, [*path, name]))
    return found


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such command" in proc.stderr
