"""The bounded in-memory fallback used while the outbox's disk is unusable.

When full, the buffer makes room in this order, so the least valuable data goes first:

1. the oldest checkpoint of a record that has a newer version in the buffer (it would be
   superseded anyway, nothing is lost);
2. the oldest checkpoint without a newer version (logged as a warning, counted);
3. the oldest final record (logged as an error naming the record, counted as
   ``dropped_final``): never silent, and only when the buffer holds nothing else.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import NamedTuple

log = logging.getLogger("signalroom.outbox")


class PendingRow(NamedTuple):
    """One record version waiting to be written to SQLite (a named tuple: made on every
    append, where a frozen dataclass's interpreted __init__ cost a few microseconds)."""

    record_id: str
    revision: int
    complete: bool
    created_at: float
    payload: bytes
    parked_reason: str | None = None


class MemoryBuffer:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows: deque[PendingRow] = deque()
        self.superseded = 0
        self.dropped_checkpoints = 0
        self.dropped_final = 0

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: PendingRow) -> None:
        if len(self._rows) >= self.capacity:
            self._make_room()
        self._rows.append(row)

    def peek(self) -> PendingRow | None:
        return self._rows[0] if self._rows else None

    def pop(self) -> None:
        self._rows.popleft()

    def _make_room(self) -> None:
        newest: dict[str, int] = {}
        for row in self._rows:
            newest[row.record_id] = max(newest.get(row.record_id, -1), row.revision)
        for row in self._rows:
            if not row.complete and row.revision < newest[row.record_id]:
                self._rows.remove(row)
                self.superseded += 1
                return
        for row in self._rows:
            if not row.complete:
                self._rows.remove(row)
                self.dropped_checkpoints += 1
                log.warning(
                    "outbox memory buffer full (%d): dropped checkpoint %s revision %d",
                    self.capacity,
                    row.record_id,
                    row.revision,
                )
                return
        row = self._rows.popleft()
        self.dropped_final += 1
        log.error(
            "OUTBOX MEMORY BUFFER FULL (%d) AND DISK UNUSABLE: dropped FINAL record %s "
            "revision %d (%d final records dropped so far); fix the outbox disk",
            self.capacity,
            row.record_id,
            row.revision,
            self.dropped_final,
        )


def disk_error_kind(exc: BaseException) -> str:
    """A short name for why the disk refused a write (counted in ``Outbox.errors``)."""
    text = str(exc).lower()
    for needle, kind in (
        ("full", "disk_full"),
        ("readonly", "read_only"),
        ("read-only", "read_only"),
        ("locked", "locked"),
        ("busy", "locked"),
        ("unable to open", "cannot_open"),
    ):
        if needle in text:
            return kind
    return type(exc).__name__
