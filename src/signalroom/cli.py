"""The ``signalroom`` command. Each subcommand is a thin call into the module that owns it.

Command modules import their heavy dependencies (LiveKit, brokers, DuckDB) inside the command
function, so ``signalroom detect`` and ``--help`` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import NoReturn

import typer

from signalroom.console import CommandFailed, print_error, print_warning
from signalroom.errors import SignalroomError

app = typer.Typer(
    name="signalroom",
    help="A LiveKit voice sales agent and the analytics pipeline behind it.\n\n"
    "Example: signalroom demo --sessions 5 --home ./signalroom-demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

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


def main() -> None:
    """Entry point: turns known failures into one line and an exit code, never a traceback."""
    from signalroom.outbox.damage import add_listener

    # a damaged outbox moved aside by any command is said once, on stderr (see outbox/damage)
    add_listener(lambda damage: print_warning(damage.line()))
    try:
        # Standalone mode lets typer print usage errors the usual way and exit with code 2.
        app()
    except CommandFailed as exc:
        print_error(str(exc), exc.hint)
        sys.exit(exc.code)
    except SignalroomError as exc:
        print_error(str(exc), exc.hint)
        sys.exit(2 if not exc.retryable else 1)
    except OSError as exc:
        if exc.filename is None or os.environ.get("SIGNALROOM_DEBUG"):
            _unexpected(exc)
        # a folder or file the command must use is read-only, missing or full: name it
        print_error(
            f"cannot use {exc.filename}: {exc.strerror or exc}",
            "check that the path exists and is writable (signalroom doctor), or choose another "
            "home with --home",
        )
        sys.exit(1)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a one-line message, not a traceback
        _unexpected(exc)


def _unexpected(exc: Exception) -> NoReturn:
    if os.environ.get("SIGNALROOM_DEBUG"):
        raise exc
    print_error(
        f"unexpected {type(exc).__name__}: {exc}",
        "run again with SIGNALROOM_DEBUG=1 for the traceback, and report it",
    )
    sys.exit(1)
