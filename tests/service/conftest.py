from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.warehouse import Warehouse, open_warehouse
from signalroom.errors import DestinationError, DestinationRejectedError
from signalroom.record import decode_record
from signalroom.transports.base import OutgoingMessage
from signalroom.transports.envelope import encode_record
from signalroom.transports.memory import MemoryTransport, queue_state
from tests.destinations.conftest import pg_url, warehouse_url


class RecordingSink(Destination):
    """An optional destination for tests: keeps what it received, fails when told to."""

    required = False

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.received: list[tuple[str, int]] = []
        self.fail_with: Exception | None = None

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.received.extend((s.record_id, s.record.revision) for s in batch)


@pytest.fixture
def queue() -> MemoryTransport:
    return MemoryTransport(f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    wh = open_warehouse(f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    return wh


def record_body(seed: dict[str, Any], **changes: Any) -> bytes:
    return encode_record(decode_record({**seed, **changes}))


async def publish(queue: MemoryTransport, *bodies: bytes) -> None:
    await queue.publish([OutgoingMessage(f"m{i}", b) for i, b in enumerate(bodies)])


def dead(queue: MemoryTransport) -> list[str]:
    return [reason for _, reason in queue_state(queue.name).dead]


__all__ = [
    "DestinationError",
    "DestinationRejectedError",
    "RecordingSink",
    "pg_url",
    "warehouse_url",
]
