"""Terminal output shared by every command: one-line errors with a hint, JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

from rich.console import Console

#: Human-facing output goes to stderr so stdout stays clean for ``--json`` and ``detect``.
err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


class CommandFailed(Exception):
    """Raised by a command to exit with a one-line message and a hint, no traceback."""

    def __init__(self, message: str, *, hint: str | None = None, code: int = 1) -> None:
        super().__init__(message)
        self.hint = hint
        self.code = code


def fail(message: str, *, hint: str | None = None, code: int = 1) -> NoReturn:
    raise CommandFailed(message, hint=hint, code=code)


def print_error(message: str, hint: str | None = None) -> None:
    line = f"[bold red]error:[/] {_escape(message)}"
    if hint:
        line += f"  [dim](hint: {_escape(hint)})[/]"
    err_console.print(line, soft_wrap=True)


def print_warning(message: str) -> None:
    err_console.print(f"[bold yellow]warning:[/] {_escape(message)}", soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
