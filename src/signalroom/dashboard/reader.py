"""Read-only access to the warehouse, one short connection per page.

The warehouse backend owns how (``Warehouse.reader``): DuckDB opens its file read-only for the
few queries of one page and waits a bounded time for a writing batch to let go (the service
holds the file only while writing), PostgreSQL starts its session read-only. This module only
names the target; it knows no backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from signalroom.destinations.registry import open_warehouse
from signalroom.destinations.warehouse import (
    READ_LOCK_BUDGET_S,
    Reader,
    Row,
    Warehouse,
    WarehouseMissing,
)

#: Total time one page waits for the DuckDB writer before answering 503.
LOCK_BUDGET_S = READ_LOCK_BUDGET_S

__all__ = ["LOCK_BUDGET_S", "Reader", "Row", "WarehouseMissing", "WarehouseTarget", "open_reader"]


@dataclass(frozen=True)
class WarehouseTarget:
    """The warehouse a dashboard reads; ``parse`` refuses a URL no backend takes."""

    url: str

    @classmethod
    def parse(cls, url: str) -> WarehouseTarget:
        target = cls(url)
        _ = target.warehouse  # an unknown scheme or a file-less URL fails here, in one line
        return target

    @cached_property
    def warehouse(self) -> Warehouse:
        return open_warehouse(self.url)

    @property
    def label(self) -> str:
        """A short name for page headers: the file name, or the database name."""
        return self.warehouse.label

    @property
    def display(self) -> str:
        """Where the data comes from, without any password in the URL."""
        return self.warehouse.display


@contextmanager
def open_reader(target: WarehouseTarget, *, budget_s: float = LOCK_BUDGET_S) -> Iterator[Reader]:
    """A read-only connection for one page; closed on exit so the writer can take the file."""
    with target.warehouse.reader(budget_s) as reader:
        yield reader
