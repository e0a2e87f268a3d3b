"""``signalroom agent chat|console|start|dev|download-files``: talk to the agent, run the worker.

Each command checks the configuration first and lists, in one message, every environment
variable (and, for the audio console, the PortAudio library) that is missing, with exit code 2.

- ``chat`` (and ``console --text``, which is ``chat`` on the configured model): a text call in
  this terminal, LLM only (:mod:`signalroom.agent.chat_cli`).
- ``start`` and ``dev``: LiveKit's current launcher, ``python -m livekit.agents start``, on
  the project's ``AgentServer`` (``dev`` adds ``--dev``). Options after the command are passed
  to it (``signalroom agent start --log-level DEBUG``).
- ``download-files``: imports the configured plugins, then runs each one's download step, as
  ``python -m livekit.agents download-files`` does for installed plugins.
- ``console`` (voice): livekit-agents 1.8.9 has no current in-process microphone console (its
  replacement is the ``lk agent console`` command of the LiveKit CLI), so this one still runs the
  deprecated Python console; LiveKit's DeprecationWarning is left as it is.

LiveKit and the plugins are imported inside the commands, never at import of this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated, Literal

import typer

from signalroom.cli_common import HomeOption, JsonFlag
from signalroom.console import fail

Mode = Literal["console", "start", "dev", "download-files"]
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
_HELP: dict[Mode, str] = {
    "console": "Talk to the agent by voice in this terminal (microphone and speaker; needs "
    "PortAudio and the STT, LLM and TTS keys, no LiveKit server). With --text it is "
    "`agent chat` on the configured model.\n\n"
    "Example: signalroom agent console --text",
    "start": "Run the worker for production: registers with LiveKit and takes calls.\n\n"
    "Example: LIVEKIT_URL=wss://my.livekit.cloud signalroom agent start",
    "dev": "Run the worker in development mode (debug logs, colored).\n\n"
    "Example: signalroom agent dev --home ./.signalroom",
    "download-files": "Download the model files the configured plugins need (VAD, turn "
    "detector).\n\nExample: signalroom agent download-files",
}
_CHAT_HELP = (
    "Chat with the real sales agent in this terminal: its tools, recorder and outbox, and only "
    "an LLM (no STT/TTS keys, no audio, no LiveKit server). From a pipe it reads one caller "
    "turn per line; in a terminal end with Ctrl-D, Ctrl-C or /bye. The record is delivered "
    "like demo's.\n\n"
    "Example: signalroom agent chat --llm openai/llama3.1 --llm-base-url http://localhost:11434/v1"
)

LlmOption = Annotated[
    str | None,
    typer.Option("--llm", help="LLM as provider/model (default: agent.llm).", show_default=False),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--llm-base-url",
        envvar="SIGNALROOM_AGENT__LLM_BASE_URL",
        help="Any OpenAI-compatible server (Ollama, vLLM, LM Studio) for an openai/<model> LLM.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="agent",
        help="The sales agent: chat with it, or run the LiveKit worker.\n\n"
        "Example: signalroom agent chat",
        no_args_is_help=True,
    )
    group.command("chat", help=_CHAT_HELP)(chat)
    for mode in ("console", "start", "dev", "download-files"):
        group.command(mode, help=_HELP[mode], context_settings=_PASS_THROUGH)(_command(mode))
    app.add_typer(group, name="agent")


def chat(
    home: HomeOption = None,
    llm: LlmOption = None,
    llm_base_url: BaseUrlOption = None,
    json_out: JsonFlag = False,
) -> None:
    from .chat_cli import chat_settings, run_chat_command

    run_chat_command(chat_settings(home, llm=llm, llm_base_url=llm_base_url), json_out=json_out)


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
    text = mode == "console" and "--text" in extra
    needed = required_env(settings.agent, needs_server=mode in ("start", "dev"), text_only=text)
    missing = [name for name in needed if not environ.get(name)]
    if mode == "console" and not text and ctypes.util.find_library("portaudio") is None:
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
    if mode == "console" and "--text" in extra:
        from .chat_cli import chat_settings, run_chat_command

        others = [a for a in extra if a != "--text"]
        if others:
            fail(f"agent console --text takes no other options (got {' '.join(others)})", code=2)
        run_chat_command(chat_settings(None))
        return
    if mode == "download-files":
        sys.exit(download_files())
    from . import worker

    if mode == "console":
        from livekit.agents import cli

        sys.argv = ["signalroom agent", "console", *extra]
        cli.run_app(worker.server)  # deprecated by LiveKit, and it says so; see the docstring
        return
    from livekit.agents.__main__ import main as livekit_main

    argv = ["start", worker.__file__, *(["--dev"] if mode == "dev" else []), *extra]
    sys.exit(livekit_main(argv))


def download_files() -> int:
    """Download what the configured plugins need; 1 when one of them failed."""
    import logging

    from livekit.agents import Plugin

    from signalroom.config import load_settings

    from .models import import_plugins

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log = logging.getLogger("signalroom.agent")
    modules = import_plugins(load_settings().agent)
    log.info("configured plugins: %s", ", ".join(modules) or "(none)")
    code = 0
    for plugin in Plugin.registered_plugins:
        log.info("downloading files for %s", plugin.package)
        try:
            plugin.download_files()
        except Exception as exc:  # one plugin's failure must not hide the others'
            log.error("failed downloading files for %s: %s", plugin.package, exc)
            code = 1
    return code
