"""The ``signalroom`` command. Each subcommand is a thin call into the module that owns it.

Command modules import their heavy dependencies (LiveKit, brokers, DuckDB) inside the command
function, so ``signalroom detect`` and ``--help`` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer
from typer.main import solve_typer_info_defaults

from signalroom.console import CommandFailed, print_error
from signalroom.errors import SignalroomError

_SETTINGS: dict[str, Any] = {
    "name": "signalroom",
    "help": "A LiveKit voice sales agent and the analytics pipeline behind it.\n\n"
    "Example: signalroom demo --sessions 5 --home ./signalroom-demo",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    # Plain click help: typer's rich help imports rich.markdown, pygments and tracebacks, which
    # would cost several times the start-up of Python itself on every --help.
    "rich_markup_mode": None,
}
app = typer.Typer(**_SETTINGS)

#: Modules that add commands through ``register(app)``, in the order --help lists them.
COMMAND_MODULES = (
    "signalroom.commands.demo",
    "signalroom.commands.schema",
    "signalroom.bench.commands",
    "signalroom.signals.commands",
    "signalroom.outbox.commands",
    "signalroom.commands.doctor",
    "signalroom.knowledge.commands",
    "signalroom.booking.commands",
    "signalroom.agent.commands",
    "signalroom.simulate.commands",
    "signalroom.service.commands",
    "signalroom.dashboard.commands",
    "signalroom.commands.forget",
    "signalroom.commands.soak",
)


@app.callback()
def _root() -> None:
    """A LiveKit voice sales agent and the analytics pipeline behind it."""


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))


def for_command(argv: list[str]) -> typer.Typer:
    """``app`` with only the command ``argv`` starts with, when it names exactly one.

    Typer turns every registered command into a click command on each run; a one-line
    ``signalroom detect`` should not pay for the twenty others. Anything else (no command,
    ``--help``, a typo) gets the whole app, so help and errors read the same.
    """
    if not argv or argv[0].startswith("-"):
        return app
    commands = [c for c in app.registered_commands if _command_name(c) == argv[0]]
    groups = [g for g in app.registered_groups if solve_typer_info_defaults(g).name == argv[0]]
    if len(commands) + len(groups) != 1:
        return app
    view = typer.Typer(**_SETTINGS)
    view.registered_callback = app.registered_callback
    view.registered_commands = commands
    view.registered_groups = groups
    return view


def main() -> None:
    """Entry point: turns known failures into one line and an exit code, never a traceback."""
    try:
        # Standalone mode lets typer print usage errors the usual way and exit with code 2.
        for_command(sys.argv[1:])()
    except CommandFailed as exc:
        print_error(str(exc), exc.hint)
        sys.exit(exc.code)
    except SignalroomError as exc:
        print_error(str(exc), exc.hint)
        sys.exit(2 if not exc.retryable else 1)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a one-line message, not a traceback
        if os.environ.get("SIGNALROOM_DEBUG"):
            raise
        print_error(
            f"unexpected {type(exc).__name__}: {exc}",
            "run again with SIGNALROOM_DEBUG=1 for the traceback, and report it",
        )
        sys.exit(1)
