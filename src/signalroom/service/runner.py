"""Wiring: build a service from settings, run it with signals and health, reanalyze stored calls."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from signalroom.analyzers import Analyzer, default_analyzers, run_analyzers
from signalroom.config import Settings
from signalroom.destinations.base import AnalyzedSession
from signalroom.destinations.factory import build_destinations
from signalroom.destinations.warehouse import Warehouse, open_warehouse
from signalroom.errors import DestinationError, SignalroomError, WarehouseLockedError
from signalroom.privacy.hashing import load_hash_key
from signalroom.record import SessionRecord
from signalroom.service.consumer import Service, ServiceStats
from signalroom.service.health import HealthServer
from signalroom.transports.registry import open_transport
from signalroom.urls import redact_url

log = logging.getLogger("signalroom.service")

#: Health port of a long-running service when none is configured (``--health-port 0`` = any).
DEFAULT_HEALTH_PORT = 9410


async def run_service(
    settings: Settings,
    *,
    queue_url: str | None = None,
    warehouse_url: str | None = None,
    until_idle: bool = False,
    health_port: int | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
) -> ServiceStats:
    """Run the consumer until SIGTERM/SIGINT (or an idle queue with ``until_idle``)."""
    warehouse_url = warehouse_url or settings.resolved_warehouse_url
    warehouse = open_warehouse(warehouse_url)
    await _check_warehouse(warehouse, warehouse_url)
    warehouse.acquire_writer_lock()
    transport = None
    destinations = []
    health: HealthServer | None = None
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    try:
        transport = open_transport(queue_url or settings.resolved_queue_url)
        if queue_url in (None, settings.resolved_queue_url):
            await _forward_home_outbox(settings, transport)
        destinations = build_destinations(
            settings.destinations,
            hash_key=load_hash_key(settings.privacy.hash_key, settings.home),
        )
        service = Service(
            transport,
            warehouse,
            default_analyzers(settings.analyzers),
            destinations,
            settings=settings.service,
        )
        stops = 0

        def on_signal() -> None:
            nonlocal stops
            stops += 1
            if stops == 1:
                log.info("stopping: finishing batches in flight (signal again to exit now)")
                service.request_stop()
            else:  # unacked messages are redelivered, so leaving now loses nothing
                os._exit(130)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        port = health_port if health_port is not None else settings.service.health_port
        if port is None and not until_idle:
            port = DEFAULT_HEALTH_PORT
        info: dict[str, Any] = {
            "queue": redact_url(transport.url),
            "warehouse": redact_url(warehouse_url),
        }
        if port is not None:
            health = HealthServer(
                service.metrics, service.status, host=settings.service.health_host, port=port
            )
            info["health_port"] = await health.start()
        log.info("service started", extra={"fields": info})
        if on_ready is not None:
            on_ready(info)
        stats = await service.run(until_idle=until_idle)
        log.info("service stopped", extra={"fields": stats.as_dict()})
        return stats
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if health is not None:
            await health.stop()
        for dest in destinations:
            await dest.close()
        if transport is not None:
            await transport.close()
        await warehouse.close()
        warehouse.release_writer_lock()


async def _check_warehouse(warehouse: Warehouse, url: str) -> None:
    """Fail at start, in one line, when the warehouse cannot be reached or read."""
    try:
        await asyncio.to_thread(warehouse.count, "sessions")
    except WarehouseLockedError as exc:  # reachable, busy: writes wait for it with retries
        log.warning("warehouse busy at start, writes will retry: %s: %s", type(exc).__name__, exc)
    except SignalroomError:
        raise
    except Exception as exc:
        raise DestinationError(
            f"cannot open the warehouse {redact_url(url)}: {type(exc).__name__}: {exc}",
            hint="check warehouse_url (or --warehouse) and that the database is running",
        ) from None


async def _forward_home_outbox(settings: Settings, transport: Any) -> None:
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


def reanalyze(
    warehouse: Warehouse,
    analyzers: list[Analyzer],
    *,
    since: datetime | None = None,
    page_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Re-run ``analyzers`` over stored records; replace their analysis and session facts."""
    seen = updated = 0
    for page in _pages(warehouse.iter_records(since=since, page_size=page_size), page_size):
        analyzed = [AnalyzedSession(r, run_analyzers(r, analyzers)) for r in page]
        updated += warehouse.replace_analysis(analyzed)
        seen += len(page)
        if progress is not None:
            progress(len(page))
    return {
        "records": seen,
        "updated": updated,
        "versions": {a.name: a.version for a in analyzers},
    }


def reanalyze_with_settings(
    settings: Settings,
    *,
    warehouse_url: str | None = None,
    since: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    warehouse = open_warehouse(warehouse_url or settings.resolved_warehouse_url)
    warehouse.acquire_writer_lock()
    try:
        return reanalyze(
            warehouse, default_analyzers(settings.analyzers), since=since, progress=progress
        )
    finally:
        asyncio.run(warehouse.close())
        warehouse.release_writer_lock()


def _pages(records: Iterator[SessionRecord], size: int) -> Iterator[list[SessionRecord]]:
    while page := list(islice(records, size)):
        yield page
