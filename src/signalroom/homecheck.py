"""The home folder must be writable before a command starts work that writes there.

A read-only, missing-parent or full home would otherwise fail deep inside a command (a log
file, the outbox, the hash key), after a simulated call already ran; this check fails first,
with one line naming the folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from signalroom.console import fail


def writable_problem(home: Path) -> str | None:
    """Why nothing can be written in ``home`` (created when missing), or None when it can."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(home) else ""
        return f"{exc.strerror or exc}{where}"
    return None


def require_writable_home(home: Path) -> None:
    """Exit with a one-line error naming ``home`` when it cannot be written."""
    problem = writable_problem(home)
    if problem is not None:
        fail(
            f"home {home} is not writable: {problem}",
            hint="make the folder writable, or choose another with --home or SIGNALROOM_HOME",
            code=2,
        )
