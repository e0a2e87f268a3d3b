"""``signalroom service`` (run the consumer) and ``signalroom service reanalyze``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from signalroom.cli_common import HomeOption, JsonFlag, QueueOption, WarehouseOption
from signalroom.console import err_console, fail, print_json

service_app = typer.Typer(
    name="service",
    help="The analytics service: queue → analyzers → warehouse and destinations.\n\n"
    "Example: signalroom service --until-idle --home ./signalroom-demo",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def register(app: typer.Typer) -> None:
    app.add_typer(service_app, name="service")


@service_app.callback(invoke_without_command=True)
def service(
    ctx: typer.Context,
    *,
    home: HomeOption = None,
    queue: QueueOption = None,
    warehouse: WarehouseOption = None,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Exit once the queue has been empty for a moment.")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Batches processed at once.")
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            "--health-port",
            min=0,
            help="Serve /healthz and /metrics on this port (0: any free port). Default 9410, "
            "off with --until-idle.",
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Consume session records, analyze them and write them to the warehouse.

    Example: signalroom service --queue redis://127.0.0.1:6379/0?stream=calls
    """
    if ctx.invoked_subcommand is not None:
        return
    import asyncio

    from signalroom.config import load_settings
    from signalroom.embedded import run_embedded
    from signalroom.errors import SignalroomError
    from signalroom.homecheck import require_writable_home
    from signalroom.service.logs import configure_logging, remove_handlers

    settings = load_settings(home, queue_url=queue, warehouse_url=warehouse)
    require_writable_home(settings.home)
    if concurrency is not None:
        settings.service.concurrency = concurrency
    handlers = configure_logging(settings.log_dir if settings.service.log_file else None)
    try:
        stats = asyncio.run(run_embedded(settings, until_idle=until_idle, health_port=health_port))
    except SignalroomError as exc:
        fail(str(exc), hint=exc.hint, code=2 if not exc.retryable else 1)
    finally:
        remove_handlers(handlers)
    summary = stats.as_dict()
    if json_out:
        print_json(summary)
    else:
        err_console.print(
            f"processed {summary['processed']}, applied {summary['applied']}, "
            f"skipped-stale {summary['skipped_stale']}, "
            f"dead-lettered {summary['dead_lettered']}, redelivered {summary['redelivered']}"
            + (
                f", delivered {summary['delivered']}, delivery-failed {summary['delivery_failed']}"
                if summary["delivered"] or summary["delivery_failed"]
                else ""
            )
        )


@service_app.command("reanalyze")
def reanalyze(
    home: HomeOption = None,
    since: Annotated[
        datetime | None,
        typer.Option("--since", help="Only calls that started on or after this date (UTC)."),
    ] = None,
    warehouse: WarehouseOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Re-run the current analyzers over stored calls (after a rubric or price change).

    Example: signalroom service reanalyze --since 2025-01-01 --home ./signalroom-demo
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from signalroom.config import load_settings
    from signalroom.errors import SignalroomError
    from signalroom.service.runner import reanalyze_with_settings

    settings = load_settings(home, warehouse_url=warehouse)
    with Progress(
        TextColumn("reanalyzing"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=json_out,
    ) as progress:
        task = progress.add_task("reanalyze", total=None)
        try:
            result = reanalyze_with_settings(
                settings,
                since=since,
                progress=lambda n: progress.advance(task, n),
            )
        except SignalroomError as exc:
            fail(str(exc), hint=exc.hint, code=2 if not exc.retryable else 1)
    if json_out:
        print_json(result)
    else:
        versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
        err_console.print(
            f"reanalyzed {result['records']} calls, updated {result['updated']} ({versions})"
        )
