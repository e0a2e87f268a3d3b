"""``python -m signalroom.service`` runs the same command as ``signalroom service``."""

from __future__ import annotations

import sys

import typer

from signalroom.console import CommandFailed, print_error
from signalroom.errors import SignalroomError
from signalroom.service.commands import service_app


def main() -> None:
    try:
        typer.main.get_command(service_app)(prog_name="signalroom service", standalone_mode=True)
    except CommandFailed as exc:
        print_error(str(exc), exc.hint)
        sys.exit(exc.code)
    except SignalroomError as exc:
        print_error(str(exc), exc.hint)
        sys.exit(2 if not exc.retryable else 1)


if __name__ == "__main__":
    main()
