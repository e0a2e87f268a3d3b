"""The CLI starts without importing the pipeline: what a command needs loads inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from signalroom import config
from signalroom.cli_common import CONFIG_FILE, DEFAULT_HOME, only_defaults

#: Packages that cost more to import than a small command does: never loaded at start-up.
HEAVY = (
    "livekit",
    "duckdb",
    "psycopg",
    "fastapi",
    "uvicorn",
    "altair",
    "redis",
    "nats",
    "boto3",
    "google.cloud",
    "simple_salesforce",
    "amplitude",
    "numpy",
    "bm25s",
    "httpx",
)

# Prints, on exit, every module the process imported (as the last line of stderr).
_REPORT = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
)


def _modules_after(code: str, *, stdin: str = "", home: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SIGNALROOM_")}
    env["SIGNALROOM_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", _REPORT + code],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


def test_importing_the_cli_loads_no_pipeline_package(home: Path) -> None:
    modules = _modules_after("import signalroom.cli", home=home)
    # rich and pydantic too: they cost more than Python's own start-up
    assert _loaded(modules, (*HEAVY, "rich", "pydantic")) == []
    assert "signalroom.cli" in modules


def test_help_loads_no_pipeline_package(home: Path) -> None:
    code = (
        "import sys\nsys.argv = ['signalroom', '--help']\nfrom signalroom.cli import main\nmain()"
    )
    assert _loaded(_modules_after(code, home=home), HEAVY) == []


def test_detect_on_one_line_loads_only_the_detector(home: Path) -> None:
    code = (
        "import sys\nsys.argv = ['signalroom', 'detect']\nfrom signalroom.cli import main\nmain()"
    )
    modules = _modules_after(code, stdin="we are a team of 12\n", home=home)
    assert "signalroom.signals.detector" in modules
    assert _loaded(modules, (*HEAVY, "pydantic_settings", "signalroom.record")) == []


def test_only_defaults_names_the_same_file_and_home_as_the_settings() -> None:
    assert CONFIG_FILE == config.CONFIG_FILE
    assert DEFAULT_HOME == config.DEFAULT_HOME


def test_only_defaults_is_false_when_anything_could_configure_the_home(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert only_defaults(home)
    assert config.load_settings(home).signals.vocabulary_files == []
    monkeypatch.setenv("SIGNALROOM_SIGNALS__VOCABULARY_FILES", '["extra.toml"]')
    assert not only_defaults(home)
    monkeypatch.delenv("SIGNALROOM_SIGNALS__VOCABULARY_FILES")
    monkeypatch.setenv("signalroom_queue_url", "redis://127.0.0.1:6379/0")  # any case counts
    assert not only_defaults(home)
    monkeypatch.delenv("signalroom_queue_url")
    (home / CONFIG_FILE).write_text("[signals]\n")
    assert not only_defaults(home)
    assert not only_defaults(None)  # the home named by SIGNALROOM_HOME


def test_running_one_command_builds_it_alone_and_the_same() -> None:
    import typer.main

    from signalroom.cli import app, for_command

    whole = typer.main.get_command(app)
    names = list(getattr(whole, "commands", {}))
    assert len(names) > 10
    for name in names:
        alone = typer.main.get_command(for_command([name, "--help"]))
        assert list(getattr(alone, "commands", {})) == [name]
        mine, full = alone.commands[name], whole.commands[name]  # type: ignore[attr-defined]
        assert mine.help == full.help
        assert [p.name for p in mine.params] == [p.name for p in full.params]
    assert for_command(["--help"]) is app
    assert for_command(["no-such-command"]) is app
    assert for_command([]) is app
