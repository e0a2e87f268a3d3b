"""A re-run of the demo replaces its earlier calls instead of adding copies of them.

The demo's session ids are fixed by its seed (``sim-<seed>-<n>``), but its start times move
with the day it runs, and a record's key (``record_id``) is derived from both. Without this
step a second run on another day would leave two rows for one session id. So before its calls
run, the demo erases every record of the session ids it is about to write, with the erasure
code of ``signalroom forget``: from the outbox, the queue (spool or Redis; other brokers hold
nothing once the service has consumed them) and the warehouse. Calls with other session ids,
real or simulated, are not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from signalroom.config import Settings
from signalroom.reliability.erasure import (
    Subject,
    erase_outbox,
    erase_queue,
    erase_warehouse,
)


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
    removed: dict[str, int] = {}
    if settings.outbox_path.exists():
        removed["outbox"] = erase_outbox(settings.outbox_path, subject)["records"]
    try:
        counts = erase_queue(settings.resolved_queue_url, subject)
        removed["queue"] = counts["messages"] + counts["dead_letters"]
    except NotImplementedError:
        pass  # a broker without search: the service consumed what an earlier run sent
    if _warehouse_exists(settings):
        removed["warehouse"] = erase_warehouse(settings.resolved_warehouse_url, subject)["records"]
    return removed


def _warehouse_exists(settings: Settings) -> bool:
    """A DuckDB file not yet created has nothing to replace (and is not created here)."""
    from signalroom.destinations.warehouse import duckdb_path

    url = settings.resolved_warehouse_url
    if url.startswith("duckdb:"):
        return duckdb_path(url).exists()
    return True
