"""The warehouse: the required destination, and the store the rest of the pipeline reads back.

``signalroom.destinations.registry.open_warehouse(url)`` picks the backend by URL scheme
(``duckdb://``, ``postgresql://``). Both apply a record only when its revision is newer than the
stored one, in one transaction per batch, and replace that record's child rows as a whole (see
docs/warehouse.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from signalroom.destinations.base import AnalyzedSession, Destination, log
from signalroom.errors import (
    ConfigError,
    DestinationError,
    DestinationRejectedError,
    SignalroomError,
)
from signalroom.privacy.subject import Subject
from signalroom.record import SessionRecord
from signalroom.seam import Counts
from signalroom.urls import ParsedUrl, parse_url, redact_url

Row = dict[str, Any]

#: Total time one read waits for the DuckDB writer before giving up (the dashboard shows 503).
READ_LOCK_BUDGET_S = 3.0


class WarehouseMissing(Exception):
    """The warehouse has no tables yet (no session was written): pages show an empty state."""


class Reader(Protocol):
    """A read-only connection for one page of the dashboard; ``?`` placeholders."""

    dialect: str

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5_000) -> Iterator[Row]:
        """Rows fetched ``size`` at a time, for exports larger than memory."""
        ...


@dataclass(slots=True)
class ApplyResult:
    """What one batch did: records applied (newer revision) and records skipped as stale."""

    applied: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeliveryTask:
    """A (record, destination) delivery claimed for a retry."""

    record_id: str
    destination: str
    revision: int
    attempts: int


class Warehouse(Destination):
    """Required destination plus the read API used by reanalyze, delivery retries and forget."""

    name = "warehouse"
    required = True
    #: Backend exceptions that mean "this data can never be written" (not retryable).
    rejected_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    async def apply(
        self, batch: Sequence[AnalyzedSession], pending: Sequence[str] = ()
    ) -> ApplyResult:
        """Apply ``batch``; mark ``pending`` deliveries for every applied record."""
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(self.apply_sync, batch, pending)
        except SignalroomError:
            raise
        except self.rejected_errors as exc:
            raise DestinationRejectedError(
                f"{self.name} refused the data: {type(exc).__name__}: {exc}".splitlines()[0]
            ) from exc
        except Exception as exc:
            raise DestinationError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        finally:
            self.last_latency_s = time.perf_counter() - started
            log.debug("applied %d sessions to %s", len(batch), self.name)

    @contextlib.asynccontextmanager
    async def batch_in_flight(self) -> AsyncIterator[None]:
        """Mark a batch of the consumer on its way to :meth:`apply` (being analyzed, written,
        acked): a backend may keep its connection open while any is. The default does nothing."""
        yield

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        await asyncio.to_thread(self.apply_sync, batch, ())

    # Backends implement the synchronous operations below; each is one transaction.
    @abstractmethod
    def apply_sync(
        self, batch: Sequence[AnalyzedSession], pending: Sequence[str] = ()
    ) -> ApplyResult: ...

    @abstractmethod
    def replace_analysis(self, items: Sequence[AnalyzedSession]) -> int:
        """Replace analysis and session_facts of records still at the item's revision."""

    @abstractmethod
    def iter_records(
        self, since: datetime | None = None, page_size: int = 500
    ) -> Iterator[SessionRecord]: ...

    @abstractmethod
    def load_sessions(self, record_ids: Sequence[str]) -> list[AnalyzedSession]: ...

    @abstractmethod
    def delete_record(self, record_id: str) -> bool: ...

    @abstractmethod
    def matching_ids(self, subject: Subject) -> list[str]:
        """Ids of the stored records that fall under ``subject`` (exactly: Subject.matches)."""

    @abstractmethod
    def delete_records(self, record_ids: Sequence[str]) -> int:
        """Delete records and every row derived from them, in one transaction; how many."""

    def delete_by_email(self, email: str) -> list[str]:
        """Delete every record that mentions ``email`` exactly; their ids."""
        ids = self.matching_ids(Subject.for_email(email, None))
        self.delete_records(ids)
        return ids

    async def check(self) -> str:
        """Open the database (creating the tables) and count the stored sessions."""
        sessions = await asyncio.to_thread(self.count_rows, "sessions")
        return f"{sessions} sessions stored"

    async def erase(self, subject: Subject) -> Counts:
        # A DuckDB service holds the file for writing: erasing beside it would race its batches.
        await asyncio.to_thread(self.acquire_writer_lock)
        try:
            ids = await asyncio.to_thread(self.matching_ids, subject)
            return {"records": await asyncio.to_thread(self.delete_records, ids)}
        finally:
            self.release_writer_lock()

    async def count(self, subject: Subject) -> Counts:
        return {"records": len(await asyncio.to_thread(self.matching_ids, subject))}

    @abstractmethod
    def claim_deliveries(
        self,
        destinations: Sequence[str],
        *,
        max_attempts: int,
        retry_base_s: float,
        retry_max_s: float,
        pending_timeout_s: float,
        limit: int = 500,
    ) -> list[DeliveryTask]:
        """Failed (or long-pending) deliveries whose backoff has passed, claimed for a retry."""

    @abstractmethod
    def mark_deliveries(
        self,
        destination: str,
        entries: Sequence[tuple[str, int]],
        status: str,
        error: str | None = None,
        exhaust_attempts: int | None = None,
    ) -> None:
        """Set the status of ``(record_id, revision)`` deliveries; attempts count up.

        ``exhaust_attempts`` sets attempts to that bound instead, so a delivery the destination
        refused for good is not retried.
        """

    @abstractmethod
    def count_rows(self, table: str) -> int:
        """Rows in one of the warehouse's tables."""

    # Reading back (the dashboard): one short read-only connection per page.
    @abstractmethod
    def reader(self, budget_s: float = READ_LOCK_BUDGET_S) -> AbstractContextManager[Reader]:
        """A read-only connection, closed on exit; ``WarehouseMissing`` before the first write.

        A writer holding the database for longer than ``budget_s`` gives
        ``WarehouseLockedError``.
        """

    @property
    def label(self) -> str:
        """A short name for page headers (the file or database name)."""
        return urlsplit(self.url).path.strip("/").rsplit("/", 1)[-1] or self.name

    @property
    def display(self) -> str:
        """Where the data lives, without any password."""
        return redact_url(self.url)

    def acquire_writer_lock(self) -> None:
        """Take the single-writer lock where the backend needs one (DuckDB)."""

    def release_writer_lock(self) -> None:
        """Release what :meth:`acquire_writer_lock` took."""


def duckdb_path(url: str) -> Path:
    """``duckdb:///abs/path`` → ``/abs/path``; ``duckdb://rel/path`` → ``$PWD/rel/path``."""
    parts = parse_url(
        url, kind="warehouse URL", authority="path", example="duckdb:///srv/warehouse.duckdb"
    )
    raw = parts.authority + parts.path
    if not raw or raw == "/":
        raise ConfigError(f"warehouse URL {url!r} names no file", hint="duckdb:///path/file.duckdb")
    return Path(raw).resolve()


def parse_postgres_url(url: str) -> ParsedUrl:
    """``url`` checked by the one URL parser: options are libpq's connection keywords."""
    from psycopg import pq

    keywords = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
    return parse_url(
        url,
        kind="warehouse URL",
        authority="hosts",
        options=keywords,
        example="postgresql://user@db.internal:5432/signalroom",
    )


def retry_due(attempts: int, updated_at: datetime, now: datetime, base: float, cap: float) -> bool:
    """Whether a failed delivery's exponential backoff has passed."""
    wait = min(cap, base * 2.0 ** max(0, attempts - 1))
    return (now - updated_at).total_seconds() >= wait
