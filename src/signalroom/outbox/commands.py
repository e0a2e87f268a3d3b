"""``signalroom outbox status|drain|replay|purge|export``: look into and operate the outbox."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from signalroom.cli_common import HomeOption, JsonFlag, QueueOption
from signalroom.console import err_console, fail, out_console, print_json

if TYPE_CHECKING:
    from signalroom.config import Settings
    from signalroom.outbox.store import Outbox

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="outbox",
        help="Inspect and operate the agent's durable outbox (HOME/outbox.sqlite).\n\n"
        "Example: signalroom outbox status --json",
        no_args_is_help=True,
    )
    group.command(
        "status",
        help="Count records by state: pending, sent, parked (newest version of each record).\n\n"
        "Example: signalroom outbox status --json",
    )(status)
    group.command(
        "drain",
        help="Forward every pending record to the queue now; exit 1 if any is left failed.\n\n"
        "Example: signalroom outbox drain --queue redis://localhost:6379/0?stream=calls",
    )(drain)
    group.command(
        "replay",
        help="Make parked records (with --all also sent ones) pending again.\n\n"
        "Example: signalroom outbox replay --record-id 3f2a...",
    )(replay)
    group.command(
        "purge",
        help="Delete sent versions older than --older-than and all superseded versions.\n\n"
        "Example: signalroom outbox purge --older-than 7d",
    )(purge)
    group.command(
        "export",
        help="List records; with --json print each decoded record as one JSON line.\n\n"
        "Example: signalroom outbox export --json > records.jsonl",
    )(export)
    app.add_typer(group)


def status(home: HomeOption = None, json_out: JsonFlag = False) -> None:
    settings = _settings(home)
    if not settings.outbox_path.exists():
        data: dict[str, Any] = {
            "pending": 0,
            "sent": 0,
            "parked": 0,
            "versions": 0,
            "oldest_pending_s": None,
        }
    else:
        outbox = _open(settings)
        data = _guard(outbox, lambda: outbox.status().as_dict())
    if json_out:
        print_json(data)
        return
    age = data["oldest_pending_s"]
    oldest = "" if age is None else f", oldest pending {age:.0f}s"
    out_console.print(
        f"{settings.outbox_path}: {data['pending']} pending, {data['sent']} sent, "
        f"{data['parked']} parked ({data['versions']} versions{oldest})",
        soft_wrap=True,
    )


def drain(
    home: HomeOption = None,
    queue: QueueOption = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, help="Records per publish.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from signalroom.outbox.sender import ForwardResult, forward
    from signalroom.transports.registry import open_transport

    settings = _settings(home, queue_url=queue)
    outbox = _open(settings)
    url = settings.resolved_queue_url
    total = _guard(outbox, lambda: outbox.status().pending)
    transport = open_transport(url)
    result = ForwardResult()

    async def run(progress: Progress, task: Any) -> None:
        try:
            while True:
                step = await forward(outbox, transport, batch_size=batch_size, max_batches=1)
                result.add(step)
                progress.update(task, advance=step.sent + step.parked)
                if step.failed or (step.sent + step.parked) == 0:
                    return
        finally:
            await transport.close()

    columns = (TextColumn("forwarding"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, disable=json_out or total == 0) as progress:
        task = progress.add_task("drain", total=total)
        _guard(outbox, lambda: asyncio.run(run(progress, task)))
    left = _guard(outbox, lambda: outbox.status().pending)
    report = {
        "queue": transport.url,
        "sent": result.sent,
        "parked": result.parked,
        "failed": result.failed,
        "pending": left,
        "last_error": result.last_error,
    }
    if json_out:
        print_json(report)
    else:
        out_console.print(
            f"sent {result.sent}, parked {result.parked}, failed {result.failed}, "
            f"{left} still pending → {transport.url}",
            soft_wrap=True,
        )
    if result.failed:
        fail(
            f"{result.failed} records could not be sent: {result.last_error}",
            hint="check the queue with `signalroom doctor`, then run drain again",
        )


def replay(
    home: HomeOption = None,
    record_id: Annotated[
        str | None, typer.Option("--record-id", help="Only this record (default: all).")
    ] = None,
    include_sent: Annotated[
        bool, typer.Option("--all", help="Also re-send records already sent.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    outbox = _open(_settings(home))
    n = _guard(outbox, lambda: outbox.replay(record_id=record_id, include_sent=include_sent))
    if json_out:
        print_json({"requeued": n})
    else:
        out_console.print(f"requeued {n} records as pending")
    if record_id is not None and n == 0:
        fail(
            f"record {record_id} is not parked{' or sent' if include_sent else ''}",
            hint="see `signalroom outbox export` for record ids and states",
        )


def purge(
    home: HomeOption = None,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age of sent versions to delete: 30m, 12h, 7d.")
    ] = "7d",
    parked: Annotated[
        bool, typer.Option("--parked", help="Also delete parked records (they were never sent).")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    seconds = parse_duration(older_than)
    outbox = _open(_settings(home))
    removed = _guard(outbox, lambda: outbox.purge(older_than_s=seconds, include_parked=parked))
    if json_out:
        print_json({"removed": removed})
    else:
        out_console.print(
            f"removed {removed['sent']} sent versions older than {older_than}, "
            f"{removed['superseded']} superseded versions, {removed['parked']} parked"
        )


def export(
    home: HomeOption = None,
    state: Annotated[
        str | None,
        typer.Option("--state", help="Only records in this state: pending, sent or parked."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    from signalroom.transports.envelope import decode_envelope

    if state not in (None, "pending", "sent", "parked"):
        fail(f"unknown state {state!r}", hint="use pending, sent or parked")
    outbox = _open(_settings(home))
    rows = _guard(outbox, lambda: outbox.newest_versions(state))
    for row in rows:
        if not json_out:
            created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["created_at"]))
            error = f"  {row['last_error']}" if row["last_error"] else ""
            out_console.print(
                f"{row['record_id']}  rev {row['revision']}  {row['state']:<7}  {created}{error}",
                soft_wrap=True,
            )
            continue
        try:
            _, data = decode_envelope(row["payload"])
        except Exception as exc:
            err_console.print(f"record {row['record_id']}: cannot decode: {exc}")
            continue
        sys.stdout.write(json.dumps(data) + "\n")


def parse_duration(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if not match:
        fail(f"cannot read duration {text!r}", hint="use a number and a unit: 30m, 12h, 7d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def _settings(home: Path | None, **overrides: Any) -> Settings:
    from signalroom.config import load_settings

    return load_settings(home, **overrides)


def _open(settings: Settings) -> Outbox:
    from signalroom.outbox.store import Outbox

    return Outbox(settings.outbox_path, settings.outbox)


def _guard(outbox: Outbox, work: Any) -> Any:
    import sqlite3

    try:
        return work()
    except (sqlite3.Error, OSError) as exc:
        fail(
            f"outbox {outbox.path}: {exc}",
            hint="check that the file exists and is writable (signalroom doctor)",
        )
    finally:
        outbox.close()
