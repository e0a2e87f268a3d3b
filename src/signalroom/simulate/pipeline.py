"""Deliver simulated calls the way a deployment does: outbox → queue → service → warehouse.

``signalroom demo`` and ``signalroom simulate`` share it, so a replayed transcript travels the
same path as the demo's calls: the recorder's sink is the home's durable outbox, the outbox
forwards to the configured queue, and (unless ``no_service``) an in-process service drains
the queue into the warehouse before the static report is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from signalroom.config import Settings
from signalroom.console import err_console
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
            await outbox.forward(transport)
        finally:
            await transport.close()
    status = outbox.status().as_dict()
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
