"""``signalroom demo``: simulated calls through every stage, on embedded defaults.

The calls run through the real LiveKit ``AgentSession`` (text mode by default), the recorder
hands each record to the durable outbox, the outbox forwards to the queue, and, unless
``--no-service``, an in-process ``signalroom service`` drains the queue into the warehouse.
Then the static report is written next to the warehouse.

The calls look like a month of use, and say they are simulated: they start on the weekdays of
the last 30 days in business hours, and their durations, latencies and model usage come from
the timing model of :mod:`signalroom.simulate.timing`. A re-run replaces the calls of an
earlier run with the same seed (:mod:`signalroom.simulate.replace`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from signalroom.cli_common import JsonFlag, QueueOption, WarehouseOption, shell_command
from signalroom.console import err_console, print_json

DEFAULT_DEMO_HOME = Path("signalroom-demo")


def register(app: typer.Typer) -> None:
    app.command(
        "demo",
        help="Run N simulated sales calls end to end: agent session → outbox → queue → "
        "service → warehouse, then write report.html.\n\n"
        "The calls start on weekdays of the last 30 days in business hours; their durations, "
        "latencies and costs come from a timing model (simulated, not measured) and every "
        "record is marked simulated. Running it again replaces the calls of the same seed.\n\n"
        "Example: signalroom demo --sessions 5 --home ./signalroom-demo",
    )(demo)


def demo(
    sessions: Annotated[int, typer.Option("--sessions", min=1, max=100_000)] = 20,
    home: Annotated[
        Path,
        typer.Option("--home", envvar="SIGNALROOM_HOME", help="Deployment folder of the demo."),
    ] = DEFAULT_DEMO_HOME,
    queue: QueueOption = None,
    warehouse: WarehouseOption = None,
    no_service: Annotated[
        bool, typer.Option("--no-service", help="Stop after delivery to the queue.")
    ] = False,
    audio: Annotated[
        bool, typer.Option("--audio", help="Run the audio pipeline with scripted STT and TTS.")
    ] = False,
    pace: Annotated[
        float, typer.Option("--pace", min=0.0, help="Seconds to wait before each caller turn.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated callers.")] = 7,
    json_out: JsonFlag = False,
) -> None:
    import asyncio

    from signalroom.config import load_settings, save_settings
    from signalroom.embedded import fail_undelivered
    from signalroom.homecheck import require_writable_home

    require_writable_home(home)  # before any call: records, logs and the report go there
    if queue or warehouse:  # the contract: a URL given to demo sticks to its home
        save_settings(home, {"queue_url": queue, "warehouse_url": warehouse})
    settings = load_settings(home, queue_url=queue, warehouse_url=warehouse)
    log_path = _log_to_file(settings.log_dir / "demo.log")
    from signalroom.simulate.replace import replace_sessions
    from signalroom.simulate.scenarios import session_ids

    replaced = replace_sessions(settings, session_ids(sessions, seed))
    summary = asyncio.run(_run(settings, sessions, seed, audio, pace, no_service))
    summary["replaced"] = replaced
    summary["log"] = str(log_path)
    summary["dashboard_command"] = shell_command("dashboard", "--home", str(home))
    if json_out:
        print_json(summary)
    else:
        _print_summary(summary, home)
    fail_undelivered(summary, home)


def _log_to_file(path: Path) -> Path:
    """The calls' own logs (LiveKit's included) go to the home's log file, not the terminal.

    Expected events such as a refused booking are logged by LiveKit as warnings; on the
    console they would read like failures of the demo.
    """
    import logging

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("livekit", "signalroom"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return path


async def _run(
    settings: Any, sessions: int, seed: int, audio: bool, pace: float, no_service: bool
) -> dict[str, Any]:
    from signalroom.embedded import deliver
    from signalroom.simulate.runner import run_calls
    from signalroom.simulate.scenarios import generate_scenarios
    from signalroom.simulate.timing import business_hours_starts

    scenarios = generate_scenarios(sessions, seed)
    starts = business_hours_starts(sessions, seed, tz=settings.booking.default_timezone)

    async def produce(sink: Any, done: Any) -> Any:
        return await run_calls(
            scenarios,
            settings=settings,
            sink=sink,
            audio=audio,
            pace_s=pace,
            on_done=done,
            starts=starts,
        )

    _records, summary = await deliver(settings, produce, sessions, no_service=no_service)
    summary["first_call"] = starts[0].isoformat() if starts else None
    summary["last_call"] = starts[-1].isoformat() if starts else None
    return summary


def _print_summary(summary: dict[str, Any], home: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="signalroom demo", show_header=False, title_justify="left")
    table.add_row("sessions", f"{summary['sessions']} (simulated)")
    if summary.get("first_call"):
        table.add_row("started", f"{summary['first_call'][:10]} … {summary['last_call'][:10]}")
    if any(summary.get("replaced", {}).values()):
        replaced = max(summary["replaced"].values())
        table.add_row("replaced", f"{replaced} calls of an earlier run with the same seed")
    table.add_row(
        "signals found", f"{summary['signals_found']} ({', '.join(summary['signal_sources'])})"
    )
    table.add_row("tools called", f"{summary['tools_called']} ({', '.join(summary['tools'])})")
    table.add_row("llm tokens", str(summary["llm_tokens"]))
    table.add_row("records delivered", f"{summary['delivered_to_queue']} → {summary['queue']}")
    if "service" in summary:
        service = summary["service"]
        table.add_row(
            "service",
            ", ".join(
                f"{k.replace('_', ' ')} {service[k]}"
                for k in ("processed", "applied", "skipped_stale", "dead_lettered")
                if k in service
            ),
        )
        table.add_row("warehouse", str(summary["warehouse"]))
        table.add_row("report", str(summary["report"]))
    table.add_row("log", summary["log"])
    err_console.print(table)
    if summary.get("warehouse"):
        err_console.print(
            f"open the live dashboard: [bold]{escape(summary['dashboard_command'])}[/]"
        )
    else:
        err_console.print(
            "records wait in the queue: "
            f"[bold]{escape(shell_command('service', '--until-idle', '--home', str(home)))}[/]"
        )
