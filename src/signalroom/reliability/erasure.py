"""Erase a person's or a call's data, or everything past retention, wherever a record rests.

A :class:`~signalroom.privacy.subject.Subject` says what to erase (and decides, exactly, what
falls under it). :func:`forget` asks every store of the deployment, through the ``erase`` (or,
for a dry run, ``count``) every backend provides (``signalroom.seam``), in the order records
flow, so nothing erased upstream is forwarded again while a later place is cleaned:

1. the outbox; 2. the queue and its dead letters; 3. the warehouse; 4. the booking store;
5. every configured destination (CRMs, analytics, webhooks).

This module knows no backend: which stores exist comes from the configuration and the
registries, and what each holds is the backend's own business. A backend that cannot search
what it keeps raises ``NotErasable``; it is reported as not searched, with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from signalroom.config import Settings
from signalroom.errors import SignalroomError
from signalroom.privacy.hashing import KEY_FILE, load_hash_key
from signalroom.privacy.subject import Subject
from signalroom.seam import Backend, Counts, NotErasable


@dataclass(slots=True)
class ErasureReport:
    """What was removed (or, in a dry run, found) per place, and places not searched."""

    subject: str
    dry_run: bool = False
    counts: dict[str, Counts] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    #: Places that should have been searched but failed (down, refused): erase them again.
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Items removed; the outbox counts versions (its ``records`` are the same rows)."""
        return sum(
            n
            for place, counts in self.counts.items()
            for what, n in counts.items()
            if (place, what) != ("outbox", "records")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "dry_run": self.dry_run,
            "found" if self.dry_run else "removed": self.counts,
            "total": self.total,
            "skipped": self.skipped,
            "failed": self.failed,
        }


def subject_key(settings: Settings) -> bytes | None:
    """The deployment's hash key, or None when nothing in this home was ever hashed with one."""
    if settings.privacy.hash_key is None and not (settings.home / KEY_FILE).exists():
        return None
    return load_hash_key(settings.privacy.hash_key, settings.home)


def forget(
    settings: Settings,
    subject: Subject,
    *,
    queue_url: str | None = None,
    warehouse_url: str | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase ``subject`` from every store of the deployment, upstream first."""
    return asyncio.run(
        forget_async(
            settings, subject, queue_url=queue_url, warehouse_url=warehouse_url, dry_run=dry_run
        )
    )


async def forget_async(
    settings: Settings,
    subject: Subject,
    *,
    queue_url: str | None = None,
    warehouse_url: str | None = None,
    dry_run: bool = False,
) -> ErasureReport:
    report = ErasureReport(subject.label, dry_run=dry_run)
    async with stores(settings, queue_url=queue_url, warehouse_url=warehouse_url) as found:
        for place, store in found:
            try:
                counts = await (store.count(subject) if dry_run else store.erase(subject))
            except NotErasable as exc:
                report.skipped[place] = str(exc)
                continue
            except SignalroomError as exc:
                # One store down never stops the others; the command exits non-zero.
                report.failed[place] = str(exc) + (f" ({exc.hint})" if exc.hint else "")
                continue
            if place in report.counts:  # several destinations of one kind: add them up
                for what, n in counts.items():
                    report.counts[place][what] = report.counts[place].get(what, 0) + n
            else:
                report.counts[place] = dict(counts)
    return report


@contextlib.asynccontextmanager
async def stores(
    settings: Settings, *, queue_url: str | None = None, warehouse_url: str | None = None
) -> AsyncIterator[list[tuple[str, Backend]]]:
    """Every store of the deployment as (place, backend), upstream first; closed on exit."""
    from signalroom.booking.factory import build_booking_backend
    from signalroom.destinations import build_destinations, open_warehouse
    from signalroom.outbox.erasure import OutboxEraser
    from signalroom.transports import open_transport

    closers: list[Any] = []
    # Only Amplitude needs the hash key to be built, and it cannot erase: never create a key
    # file just to erase.
    key = load_hash_key(settings.privacy.hash_key, None)
    try:
        found: list[tuple[str, Backend]] = [("outbox", OutboxEraser(settings.outbox_path))]
        transport = open_transport(queue_url or settings.resolved_queue_url)
        closers.append(transport.close)
        found.append(("queue", transport))
        warehouse = open_warehouse(warehouse_url or settings.resolved_warehouse_url)
        closers.append(warehouse.close)
        found.append(("warehouse", warehouse))
        found.append(("bookings", build_booking_backend(settings.booking, settings.home)))
        for name, configured in settings.destinations.configured().items():
            try:
                built = build_destinations({name: configured}, hash_key=key)
            except SignalroomError as exc:  # a destination that cannot be built never
                found.append((name, _Unbuilt(exc)))  # stops the erasure elsewhere
                continue
            for destination in built:
                closers.append(destination.close)
                found.append((destination.name, destination))
        yield found
    finally:
        for close in reversed(closers):
            with contextlib.suppress(Exception):
                await close()


class _Unbuilt:
    """A configured store that could not be built: searching it fails with the reason."""

    def __init__(self, error: SignalroomError) -> None:
        self.error = error

    async def check(self) -> str:
        raise self.error

    async def erase(self, subject: Subject) -> Counts:
        raise self.error

    async def count(self, subject: Subject) -> Counts:
        raise self.error

    async def close(self) -> None:
        return None
