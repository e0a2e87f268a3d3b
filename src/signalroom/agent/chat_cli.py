"""What ``signalroom agent chat`` (and ``agent console --text``) do around the call itself.

Settings with the command-line model, the keys check, the plugin import on the main thread and
the blocking preparation, the call (:func:`signalroom.agent.chat.run_chat`), then the delivery
``demo`` uses: outbox, queue and, on the embedded queue, the service into the warehouse.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from signalroom.config import Settings
from signalroom.console import err_console, fail, print_json


def chat_settings(
    home: Path | None, *, llm: str | None = None, llm_base_url: str | None = None
) -> Settings:
    """The home's settings with the command line's model and endpoint over them."""
    from signalroom.config import load_settings

    settings = load_settings(home)
    update = {k: v for k, v in (("llm", llm), ("llm_base_url", llm_base_url)) if v is not None}
    if update:
        agent = settings.agent.model_copy(update=update)
        settings = settings.model_copy(update={"agent": agent})
    return settings


def missing_for_chat(settings: Settings, environ: dict[str, str]) -> list[str]:
    from .models import required_env

    needed = required_env(settings.agent, needs_server=False, text_only=True)
    return [name for name in needed if not environ.get(name)]


def run_chat_command(settings: Settings, *, json_out: bool = False) -> None:
    """The whole command: check, talk, deliver, summarize. Exit 1 when the LLM failed."""
    from signalroom.outbox import Outbox

    from .call import prepare
    from .chat import run_chat
    from .models import import_plugins, llm_spec

    spec = llm_spec(settings.agent)
    missing = missing_for_chat(settings, dict(os.environ))
    if missing:
        fail(
            f"cannot chat with {spec.label}; missing: {', '.join(missing)}",
            hint="export the key, or point --llm-base-url at an OpenAI-compatible server",
            code=2,
        )
    import_plugins(settings.agent, text_only=True)  # on the main thread, as LiveKit requires
    parts = prepare(settings, voice=False)
    settings.home.mkdir(parents=True, exist_ok=True)
    _log_to_file(settings.log_dir / "chat.log")
    interactive = sys.stdin.isatty() and not json_out
    if interactive:
        err_console.print(
            f"talking to {spec.label}; end with Ctrl-D, Ctrl-C or /bye",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    outbox = Outbox(settings.outbox_path, settings.outbox)
    try:
        outcome = asyncio.run(
            run_chat(
                parts,
                stream=sys.stdin,
                out=sys.stderr if json_out else sys.stdout,
                sink=outbox.append,
                interactive=interactive,
            )
        )
    finally:
        outbox.close()
    summary = asyncio.run(_deliver(settings, outcome.record))
    if json_out:
        print_json({"record": json.loads(outcome.record.to_json()), "delivery": summary})
    else:
        _print_summary(outcome.record, summary)
    if outcome.error:
        fail(outcome.error, hint="check --llm-base-url and the key; signalroom doctor checks both")


async def _deliver(settings: Settings, record: Any) -> dict[str, Any]:
    from signalroom.simulate.pipeline import deliver

    async def produce(_sink: Any, done: Any) -> list[Any]:
        done(record)  # the call already wrote its record to the outbox
        return [record]

    # a configured queue has its own service; the embedded spool is drained here, like demo
    _records, summary = await deliver(settings, produce, 1, no_service=bool(settings.queue_url))
    return summary


def _log_to_file(path: Path) -> None:
    """LiveKit's and signalroom's logs go to the home's log file, not between the replies."""
    import logging

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("livekit", "signalroom", "openai", "httpx"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _print_summary(record: Any, delivery: dict[str, Any]) -> None:
    s = record.discovered_signals
    m = record.metrics_summary
    lines = [
        f"call      {record.session_id} ({'complete' if record.complete else 'partial'}, "
        f"{record.user_turns} caller turns)",
        f"signals   team_size={s.team_size} monthly_volume={s.monthly_volume} "
        f"integrations={','.join(s.integration_needs) or '-'} urgency={s.urgency} "
        f"industry={s.industry}",
    ]
    for call in record.tool_calls:
        if call.error:
            outcome = "error: " + call.error
        elif call.results_found is not None:
            outcome = f"{call.total_results or 0} results"
        elif call.success is not None:
            outcome = "booked" if call.success else "not booked"
        else:
            outcome = json.dumps(call.arguments or {})
        lines.append(f"tool      {call.tool} {outcome}")
    lines.append(f"tokens    llm_tokens={m.llm_tokens}")
    lines.append(f"queue     {delivery['delivered_to_queue']} record → {delivery['queue']}")
    if delivery.get("warehouse"):
        lines.append(f"warehouse {delivery['warehouse']}")
    for line in lines:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)
