"""``signalroom soak``: many sessions through the real pipeline under faults, counted end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from signalroom.cli_common import HomeOption, JsonFlag
from signalroom.console import err_console, fail, print_json


def register(app: typer.Typer) -> None:
    app.command(
        "soak",
        help="Send N synthetic sessions through outbox → Redis → several services → warehouse "
        "while killing services, pausing the broker and mixing in malformed messages; print "
        "sent, delivered, duplicated-and-absorbed, dead-lettered and lost (must be 0). "
        "CLIENT PAUSE stops every client of that Redis server for a moment: use a Redis of "
        "its own.\n\n"
        "Example: signalroom soak --sessions 10000 --queue redis://127.0.0.1:6390/0 "
        "--warehouse postgresql://postgres@127.0.0.1:5432/soak --json",
    )(soak)


def soak(
    queue: Annotated[str, typer.Option("--queue", help="A redis:// URL (a fresh stream is used).")],
    warehouse: Annotated[
        str, typer.Option("--warehouse", help="postgresql:// URL (duckdb:// with --services 1).")
    ],
    home: HomeOption = None,
    sessions: Annotated[int, typer.Option("--sessions", min=1, max=1_000_000)] = 10_000,
    services: Annotated[int, typer.Option("--services", min=1, max=8)] = 2,
    rate: Annotated[
        float, typer.Option("--rate", min=1.0, help="Sessions appended per second.")
    ] = 200.0,
    faults: Annotated[
        bool, typer.Option("--faults/--no-faults", help="Inject faults while records flow.")
    ] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of records and faults.")] = 7,
    timeout: Annotated[
        float, typer.Option("--timeout", min=10.0, help="Give up after this many seconds.")
    ] = 1800.0,
    json_out: JsonFlag = False,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from signalroom.bench.soak import SoakConfig, run_soak
    from signalroom.config import DEFAULT_HOME
    from signalroom.errors import SignalroomError

    work = (home or DEFAULT_HOME) / "soak"
    config = SoakConfig(
        sessions=sessions,
        queue_url=queue,
        warehouse_url=warehouse,
        work_dir=Path(work),
        services=services,
        faults=faults,
        rate=rate,
        seed=seed,
        timeout_s=timeout,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("soak", total=sessions)

        def show(phase: str, count: int) -> None:
            progress.update(task, description=phase, completed=min(count, sessions))

        try:
            result = run_soak(config, progress=show)
        except SignalroomError as exc:
            fail(str(exc), hint=exc.hint, code=2 if not exc.retryable else 1)
    data = result.as_dict()
    if json_out:
        print_json(data)
    else:
        _print(data)
    if not result.ok:
        fail(
            f"soak failed: {result.lost} lost, {result.delivered}/{result.sessions} delivered, "
            f"{result.dead_lettered_malformed}/{result.malformed_sent} malformed dead-lettered",
            hint=f"service logs are under {work}",
        )


def _print(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="signalroom soak", show_header=False, title_justify="left")
    for key in (
        "sessions",
        "versions_appended",
        "versions_published",
        "delivered",
        "duplicates_absorbed",
        "malformed_sent",
        "dead_lettered_malformed",
        "dead_lettered_records",
        "lost",
        "faults",
        "elapsed_s",
        "services",
    ):
        table.add_row(key.replace("_", " "), str(data[key]))
    err_console.print(table)
