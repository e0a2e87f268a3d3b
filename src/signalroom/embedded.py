"""Embedded mode: the agent's outbox and the service in one process, on one home.

The stages never import each other upstream: the service does not know the outbox exists
(tests/architecture checks it). This module composes them, and is the only one besides the CLI
that imports the service:

- :func:`run_embedded` forwards what the home's outbox still holds (a worker killed mid-call
  leaves its last checkpoint there), then runs the service; ``signalroom service`` runs
  through it;
- :func:`deliver` sends simulated calls the way a deployment does (outbox → queue → service →
  warehouse → report); ``signalroom demo`` and ``signalroom simulate`` share it, so a replayed
  transcript travels the same path as the demo's calls.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from signalroom.cli_common import shell_command
from signalroom.config import Settings
from signalroom.console import err_console, fail
from signalroom.record import SessionRecord
from signalroom.service.consumer import ServiceStats
from signalroom.service.runner import run_service
from signalroom.transports.base import Transport

log = logging.getLogger("signalroom.service")

Sink = Callable[[SessionRecord], None]
#: Runs the calls: ``produce(sink, on_done)`` returns their final records.
Producer = Callable[[Sink, Callable[[SessionRecord], None]], Awaitable[list[SessionRecord]]]


async def deliver(
    settings: Settings, produce: Producer, total: int, *, no_service: bool = False
) -> tuple[list[SessionRecord], dict[str, Any]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from signalroom.outbox import Outbox
    from signalroom.transports import open_transport
    from signalroom.urls import redact_url

    settings.home.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(settings.outbox_path, settings.outbox)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("simulated calls", total=total)
        records = await produce(outbox.append, lambda _r: progress.advance(task))
        progress.update(task, description="delivering to the queue")
        transport = open_transport(settings.resolved_queue_url)
        try:
            if outbox.flush_buffer():
                await outbox.forward(transport)
                status = outbox.status().as_dict()
                failure = None
            else:
                status, failure = await _deliver_without_outbox(outbox, records, transport)
        finally:
            await transport.close()
            outbox.close()
    summary: dict[str, Any] = {
        "sessions": len(records),
        "signals_found": sum(len(r.signal_evidence) for r in records),
        "signal_sources": sorted({e.source for r in records for e in r.signal_evidence}),
        "tools_called": sum(len(r.tool_calls) for r in records),
        "tools": sorted({c.tool for r in records for c in r.tool_calls}),
        "llm_tokens": sum(r.metrics_summary.llm_tokens or 0 for r in records),
        "delivered_to_queue": len(records) - status["pending"] - status["parked"],
        "outbox": status,
        "queue": redact_url(settings.resolved_queue_url),
        "outbox_failure": failure,
        "warehouse": None,
        "report": None,
    }
    if no_service:
        return records, summary
    from signalroom.dashboard.report import render_report

    with err_console.status("analyzing in the service...", spinner="dots"):
        stats = await run_embedded(settings, until_idle=True)
    summary["service"] = stats.as_dict()
    summary["warehouse"] = redact_url(settings.resolved_warehouse_url)
    summary["report"] = str(
        render_report(settings.resolved_warehouse_url, settings.home / "report.html")
    )
    return records, summary


async def _deliver_without_outbox(
    outbox: Any, records: list[SessionRecord], transport: Any
) -> tuple[dict[str, Any], str]:
    """The outbox could not store the calls (its records wait in memory only): send the final
    records straight to the queue, so no call is lost, and say what failed."""
    from signalroom.errors import SignalroomError
    from signalroom.transports.base import OutgoingMessage
    from signalroom.transports.envelope import encode_record

    kinds = ", ".join(sorted(outbox.errors)) or "unknown error"
    failure = f"outbox {outbox.path} could not store {outbox.buffered} record versions ({kinds})"
    sent = 0
    try:
        await transport.publish(
            [OutgoingMessage(id=r.record_id, body=encode_record(r)) for r in records]
        )
        sent = len(records)
        failure += f"; the {sent} final records were sent straight to the queue"
    except SignalroomError as exc:
        failure += f", and the queue refused them too ({exc}): they are not delivered"
    status = {"pending": len(records) - sent, "sent": sent, "parked": 0, "versions": None}
    return status, failure


def fail_undelivered(summary: dict[str, Any], home: Path) -> None:
    """Exit non-zero, with one line saying why, when a call's record is not safely delivered:
    the outbox failed, or the record still waits in it (an unreachable queue)."""
    if summary.get("outbox_failure"):
        fail(
            summary["outbox_failure"],
            hint="fix the disk under the outbox, then check it: "
            + shell_command("doctor", "--home", str(home)),
        )
    waiting = summary["sessions"] - summary["delivered_to_queue"]
    if waiting > 0:
        what = "the record was" if summary["sessions"] == 1 else f"{waiting} records were"
        fail(
            f"{what} not delivered to the queue {summary['queue']}; waiting in the outbox",
            hint="check the queue, then: " + shell_command("outbox", "drain", "--home", str(home)),
        )


async def run_embedded(
    settings: Settings,
    *,
    queue_url: str | None = None,
    warehouse_url: str | None = None,
    until_idle: bool = False,
    health_port: int | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
) -> ServiceStats:
    """The service; on the home's own queue it first forwards the home's outbox."""

    async def forward(transport: Transport) -> None:
        await forward_home_outbox(settings, transport)

    home_queue = queue_url in (None, settings.resolved_queue_url)
    return await run_service(
        settings,
        queue_url=queue_url,
        warehouse_url=warehouse_url,
        until_idle=until_idle,
        health_port=health_port,
        on_ready=on_ready,
        before_consume=forward if home_queue else None,
    )


async def forward_home_outbox(settings: Settings, transport: Transport) -> None:
    """Send what the home's outbox still holds before consuming.

    The agent worker's forwarder normally does this; a worker killed mid-call leaves its last
    checkpoint in the outbox, and a service on the same home delivers it (as complete=false).
    """
    if not settings.outbox_path.exists():
        return
    from signalroom.outbox import Outbox

    outbox = Outbox(settings.outbox_path, settings.outbox)
    try:
        if outbox.status().pending:
            result = await outbox.forward(transport)
            log.info("forwarded the home's outbox", extra={"fields": {"sent": result.sent}})
    except (sqlite3.Error, OSError) as exc:
        # the queue still needs draining; the agent's outbox is the agent's (and doctor's) to fix
        log.warning(
            "cannot read the home's outbox %s: %s; consuming the queue anyway",
            settings.outbox_path,
            exc,
        )
    finally:
        outbox.close()
