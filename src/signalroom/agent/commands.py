"""``signalroom agent console|start|dev|download-files``: the LiveKit worker for the sales agent.

Each command checks the configuration first and lists, in one message, every environment
variable (and, for audio console, the PortAudio library) that is missing, with exit code 2.
Then it hands over to LiveKit's own CLI (``livekit.agents.cli``); options after the command are
passed through to it (``signalroom agent console --text``).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Literal

import typer

from signalroom.cli_common import HomeOption
from signalroom.console import fail

Mode = Literal["console", "start", "dev", "download-files"]
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
_HELP: dict[Mode, str] = {
    "console": "Talk to the agent in this terminal (microphone and speaker, or --text). "
    "Needs the model keys, no LiveKit server.\n\n"
    "Example: signalroom agent console --text",
    "start": "Run the worker for production: registers with LiveKit and takes calls.\n\n"
    "Example: LIVEKIT_URL=wss://my.livekit.cloud signalroom agent start",
    "dev": "Run the worker in development mode (debug logs).\n\n"
    "Example: signalroom agent dev --home ./.signalroom",
    "download-files": "Download the model files the plugins need (VAD, turn detector).\n\n"
    "Example: signalroom agent download-files",
}


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="agent",
        help="The LiveKit voice sales agent (worker, console).\n\n"
        "Example: signalroom agent console --text",
        no_args_is_help=True,
    )
    for mode in ("console", "start", "dev", "download-files"):
        group.command(mode, help=_HELP[mode], context_settings=_PASS_THROUGH)(_command(mode))
    app.add_typer(group, name="agent")


def _command(mode: Mode) -> Callable[..., None]:
    def run(ctx: typer.Context, home: HomeOption = None) -> None:
        run_worker(mode, home=home, extra=list(ctx.args))

    run.__name__ = mode.replace("-", "_")
    return run


def missing_requirements(mode: Mode, extra: list[str], environ: dict[str, str]) -> list[str]:
    """What the configured worker needs for ``mode`` and does not have, in a stable order."""
    import ctypes.util

    from signalroom.config import load_settings

    from .models import required_env

    if mode == "download-files":
        return []
    settings = load_settings()
    needed = required_env(settings.agent, needs_server=mode in ("start", "dev"))
    missing = [name for name in needed if not environ.get(name)]
    if (
        mode == "console"
        and "--text" not in extra
        and ctypes.util.find_library("portaudio") is None
    ):
        missing.append(
            "libportaudio2 (audio console; apt-get install libportaudio2, or use --text)"
        )
    return missing


def run_worker(mode: Mode, *, home: object = None, extra: list[str] | None = None) -> None:
    from signalroom.config import DEFAULT_HOME

    extra = extra or []
    # job processes read the same home through the environment
    os.environ["SIGNALROOM_HOME"] = str(home or os.environ.get("SIGNALROOM_HOME") or DEFAULT_HOME)
    missing = missing_requirements(mode, extra, dict(os.environ))
    if missing:
        fail(
            "cannot start the agent; missing: " + ", ".join(missing),
            hint="export the variables (or put them in your environment) and run again",
            code=2,
        )
    from livekit.agents import cli

    from .worker import server

    sys.argv = ["signalroom agent", mode, *extra]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # LiveKit's own CLI notice
        cli.run_app(server)
