"""Optional destinations: fan-out after the warehouse accepted a batch, and the retry pass.

Each optional destination (CRM, analytics, webhook) fails alone: the batch is sent to all of them
at once and each outcome is stored per (record, destination) in the warehouse's ``deliveries``
table. Failed deliveries are retried later by :meth:`Deliverer.retry_pass`, which re-reads the
record and its analysis from the warehouse, with exponential backoff per delivery and a bound on
attempts. A destination that refuses the data itself (not retryable) is not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from signalroom.config import ServiceSettings
from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.warehouse import Warehouse
from signalroom.service.metrics import ServiceMetrics

log = logging.getLogger("signalroom.service")

#: A delivery still "pending" this long was being sent by a process that died.
PENDING_TIMEOUT_S = 120.0
#: Bound on one destination write, so a hung endpoint cannot hold a batch forever.
WRITE_TIMEOUT_S = 60.0


class Deliverer:
    def __init__(
        self,
        warehouse: Warehouse,
        destinations: Sequence[Destination],
        settings: ServiceSettings,
        metrics: ServiceMetrics,
    ) -> None:
        self.warehouse = warehouse
        self.destinations = list(destinations)
        self.settings = settings
        self.metrics = metrics

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.destinations]

    async def send(self, items: Sequence[AnalyzedSession]) -> dict[str, int]:
        """Send ``items`` to every destination at once; counts of delivered/failed records."""
        if not items or not self.destinations:
            return {"delivered": 0, "failed": 0}
        outcomes = await asyncio.gather(*(self._send_one(d, items) for d in self.destinations))
        return {
            "delivered": sum(len(items) for ok in outcomes if ok),
            "failed": sum(len(items) for ok in outcomes if not ok),
        }

    async def _send_one(self, dest: Destination, items: Sequence[AnalyzedSession]) -> bool:
        entries = [(i.record_id, i.record.revision) for i in items]
        try:
            await asyncio.wait_for(dest.write(items), WRITE_TIMEOUT_S)
        except Exception as exc:
            retryable = getattr(exc, "retryable", True)
            error = f"{type(exc).__name__}: {exc}"[:1000]
            log.warning(
                "delivery to %s failed for %d records (%s): %s",
                dest.name,
                len(items),
                "will retry" if retryable else "not retryable",
                error,
            )
            status = "failed"
            self.metrics.deliveries.labels(dest.name, status).inc(len(items))
            await asyncio.to_thread(
                self.warehouse.mark_deliveries,
                dest.name,
                entries,
                status,
                error if retryable else "rejected: " + error,
                None if retryable else self.settings.max_attempts,
            )
            return False
        finally:
            if dest.last_latency_s is not None:
                self.metrics.destination_latency.labels(dest.name).observe(dest.last_latency_s)
        self.metrics.deliveries.labels(dest.name, "delivered").inc(len(items))
        await asyncio.to_thread(self.warehouse.mark_deliveries, dest.name, entries, "delivered")
        return True

    async def retry_pass(self) -> int:
        """Resend due failed deliveries; return how many (record, destination) were retried."""
        if not self.destinations:
            return 0
        tasks = await asyncio.to_thread(
            self.warehouse.claim_deliveries,
            self.names,
            max_attempts=self.settings.max_attempts,
            retry_base_s=self.settings.retry_base_s,
            retry_max_s=self.settings.retry_max_s,
            pending_timeout_s=PENDING_TIMEOUT_S,
        )
        if not tasks:
            return 0
        sessions = await asyncio.to_thread(
            self.warehouse.load_sessions, sorted({t.record_id for t in tasks})
        )
        by_id = {s.record_id: s for s in sessions}
        by_dest = {d.name: d for d in self.destinations}
        jobs = []
        for name, dest in by_dest.items():
            # Only the revision the row was claimed for: a newer one reset the row itself.
            wanted = [
                by_id[t.record_id]
                for t in tasks
                if t.destination == name
                and t.record_id in by_id
                and by_id[t.record_id].record.revision == t.revision
            ]
            if wanted:
                jobs.append(self._send_one(dest, wanted))
        await asyncio.gather(*jobs)
        log.info("retried %d deliveries", len(tasks))
        return len(tasks)
