"""Deliver simulated calls the way a deployment does: outbox → queue → service → warehouse.

``signalroom demo`` and ``signalroom simulate`` share it, so a replayed transcript travels the
same path as the demo's calls: the recorder's sink is the home's durable outbox, the outbox
forwards to the configured queue, and (unless ``no_service``) an in-process service drains
the queue into the warehouse before the static report is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from signalroom.config import Settings
from signalroom.console import err_console, fail
from signalroom.record import SessionRecord

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
    from signalroom.service.runner import run_service

    with err_console.status("analyzing in the service...", spinner="dots"):
        stats = await run_service(settings, until_idle=True)
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
            hint=f"fix the disk under the outbox, then check it: signalroom doctor --home {home}",
        )
    waiting = summary["sessions"] - summary["delivered_to_queue"]
    if waiting > 0:
        what = "the record was" if summary["sessions"] == 1 else f"{waiting} records were"
        fail(
            f"{what} not delivered to the queue {summary['queue']}; waiting in the outbox",
            hint=f"check the queue, then: signalroom outbox drain --home {home}",
        )
