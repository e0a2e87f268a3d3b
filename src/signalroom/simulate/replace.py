"""A re-run of the demo replaces its earlier calls instead of adding copies of them.

The demo's session ids are fixed by its seed (``sim-<seed>-<n>``), but its start times move
with the day it runs, and a record's key (``record_id``) is derived from both. Without this
step a second run on another day would leave two rows for one session id. So before its calls
run, the demo erases every record of the session ids it is about to write, through the same
``erase`` every store provides for ``signalroom forget``: the outbox, the queue (spool or Redis;
other brokers hold nothing once the service has consumed them) and the warehouse. Calls with
other session ids, real or simulated, are not touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from signalroom.config import Settings
from signalroom.privacy.subject import Subject
from signalroom.seam import Backend, NotErasable


@dataclass(frozen=True, slots=True)
class SessionsSubject(Subject):
    """Every record whose session id is one of ``ids``."""

    ids: frozenset[str] = frozenset()

    def matches(self, data: dict[str, Any]) -> bool:
        return data.get("session_id") in self.ids


def replace_sessions(settings: Settings, session_ids: Iterable[str]) -> dict[str, int]:
    """Erase the earlier records of ``session_ids``; returns how many records went, per place."""
    ids = frozenset(session_ids)
    subject = SessionsSubject(label=f"{len(ids)} demo sessions", ids=ids)
    return asyncio.run(_replace(settings, subject))


async def _replace(settings: Settings, subject: Subject) -> dict[str, int]:
    from signalroom.destinations import open_warehouse
    from signalroom.outbox.erasure import OutboxEraser
    from signalroom.transports import open_transport

    places: list[tuple[str, Backend]] = [("outbox", OutboxEraser(settings.outbox_path))]
    places.append(("queue", open_transport(settings.resolved_queue_url)))
    if _warehouse_exists(settings):
        places.append(("warehouse", open_warehouse(settings.resolved_warehouse_url)))
    removed: dict[str, int] = {}
    try:
        for place, store in places:
            try:
                counts = await store.erase(subject)
            except NotErasable:
                continue  # a broker without search: the service consumed what a run sent
            # the outbox counts versions and records; elsewhere every item is a record
            removed[place] = counts["records"] if "records" in counts else sum(counts.values())
    finally:
        for _, store in places:
            await store.close()
    if not settings.outbox_path.exists():
        removed.pop("outbox", None)
    return removed


def _warehouse_exists(settings: Settings) -> bool:
    """A DuckDB file not yet created has nothing to replace (and is not created here)."""
    from signalroom.destinations.warehouse import duckdb_path

    url = settings.resolved_warehouse_url
    if url.startswith("duckdb:"):
        return duckdb_path(url).exists()
    return True
