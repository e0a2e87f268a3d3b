"""The in-memory reference transport keeps the contract."""

from __future__ import annotations

from signalroom.transports.base import Transport
from signalroom.transports.memory import MemoryTransport, queue_state
from tests.transports.contract import TransportContract


class TestMemoryContract(TransportContract):
    async def make_transport(self, name: str) -> Transport:
        return MemoryTransport(name)

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        return [(msg.body, reason) for msg, reason in queue_state(name).dead]
