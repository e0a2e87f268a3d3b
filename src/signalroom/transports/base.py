"""The one surface every queue backend implements, chosen by URL scheme (see ``registry``).

A backend is an async class with five operations. ``publish`` returns only after the broker
confirmed every message of the batch (or raises ``TransportError``), which is what lets the
outbox mark records sent. ``consume`` returns what is available within ``timeout_s``, possibly
nothing; a message not acked is delivered again (at-least-once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """An encoded envelope (see ``envelope``) and the id brokers may use to deduplicate."""

    id: str
    body: bytes


@dataclass(slots=True)
class Message:
    """A delivered message. ``handle`` is the backend's own acknowledgement token."""

    id: str
    body: bytes
    delivery_count: int = 1
    handle: Any = None
    attributes: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Transport(Protocol):
    url: str
    #: The largest envelope the broker accepts; larger ones are refused and parked, never cut.
    max_message_bytes: int

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None: ...

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]: ...

    async def ack(self, message: Message) -> None: ...

    async def nack(self, message: Message, delay_s: float = 0.0) -> None: ...

    async def dead_letter(self, message: Message, reason: str) -> None: ...

    async def close(self) -> None: ...
