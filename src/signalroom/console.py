"""Terminal output shared by every command: one-line errors with a hint, JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn, cast

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich ``Console`` made on first use: importing rich costs more than ``detect`` itself."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    # Special methods are looked up on the type, not through __getattr__.
    def __enter__(self) -> Console:
        return self._real().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._real().__exit__(*exc)


#: Human-facing output goes to stderr so stdout stays clean for ``--json`` and ``detect``.
err_console = cast("Console", _LazyConsole(stderr=True))
out_console = cast("Console", _LazyConsole(stderr=False))


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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
