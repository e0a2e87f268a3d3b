"""Options every command shares, so ``--home`` and ``--json`` read the same everywhere.

This module is imported by every command at start-up: it imports nothing but typer.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="SIGNALROOM_HOME",
        help="Deployment folder (signalroom.toml, outbox.sqlite, warehouse.duckdb, logs).",
        show_default="./.signalroom",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
QueueOption = Annotated[
    str | None,
    typer.Option(
        "--queue",
        help="Queue URL: spool:///path, redis://host:6379/0?stream=NAME, nats://host:4222/NAME, "
        "sqs://QUEUE?region=R, pubsub://PROJECT/TOPIC.",
    ),
]
WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="Warehouse URL: duckdb:///path/warehouse.duckdb or postgresql://user@host/db.",
    ),
]

#: The same names as ``signalroom.config`` (a test keeps them equal); repeated here so a light
#: command can tell whether it needs the settings at all without importing pydantic-settings.
CONFIG_FILE = "signalroom.toml"
DEFAULT_HOME = Path(".signalroom")
_NOT_SETTINGS = frozenset({"SIGNALROOM_HOME", "SIGNALROOM_DEBUG"})


def only_defaults(home: Path | None) -> bool:
    """Whether ``load_settings(home)`` could only return the built-in defaults.

    True when the home has no signalroom.toml and no ``SIGNALROOM_*`` variable (other than the
    home itself) is set. A light command such as ``detect`` then skips loading the settings,
    which costs more than the command's own work.
    """
    folder = home or Path(os.environ.get("SIGNALROOM_HOME", str(DEFAULT_HOME)))
    if (folder / CONFIG_FILE).exists():
        return False
    return not any(
        name.upper().startswith("SIGNALROOM_") and name.upper() not in _NOT_SETTINGS
        for name in os.environ
    )


def shell_command(*args: str) -> str:
    """``signalroom ARGS`` as it works when typed into the user's shell.

    ``uv run`` puts the project's environment on PATH only for the command it runs: a demo
    started that way is followed by ``uv run signalroom …``. Otherwise ``signalroom`` works
    where it is on PATH, and ``python -m signalroom`` with this interpreter where it is not.
    """
    words = " ".join(shlex.quote(a) for a in args)
    if os.environ.get("UV_RUN_RECURSION_DEPTH"):
        return f"uv run signalroom {words}"
    if shutil.which("signalroom"):
        return f"signalroom {words}"
    return f"{shlex.quote(sys.executable)} -m signalroom {words}"
