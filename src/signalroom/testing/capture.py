"""``RecordCapture``: a recorder sink that keeps every record it is handed, for tests."""

from __future__ import annotations

import threading

from signalroom.record import SessionRecord


class RecordCapture:
    """Callable sink; thread-safe because the recorder delivers from its worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[SessionRecord] = []

    def __call__(self, record: SessionRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[SessionRecord]:
        with self._lock:
            return list(self._records)

    @property
    def checkpoints(self) -> list[SessionRecord]:
        return [r for r in self.records if not r.complete]

    @property
    def final(self) -> SessionRecord | None:
        finals = [r for r in self.records if r.complete]
        return finals[-1] if finals else None
