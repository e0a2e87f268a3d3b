"""The one surface every queue backend implements, chosen by URL scheme (see ``registry``).

A backend is an async class with five operations. ``publish`` returns only after the broker
confirmed every message of the batch (or raises ``TransportError``), which is what lets the
outbox mark records sent. ``consume`` returns what is available within ``timeout_s``, possibly
nothing; a message not acked is delivered again (at-least-once).

Like every backend (``signalroom.seam``) a transport also has ``check``, ``erase`` and
``count``. :class:`TransportBase` gives the defaults a backend may keep: ``ack_many`` acks one
by one, and a broker that keeps messages only until they are consumed cannot be searched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from signalroom.privacy.subject import Subject
from signalroom.seam import Backend, Counts, NotErasable

#: Acks in flight at once in the default ``ack_many``.
ACK_PARALLEL = 8


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
class Transport(Backend, Protocol):
    url: str
    #: The largest envelope the broker accepts; larger ones are refused and parked, never cut.
    max_message_bytes: int

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None: ...

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]: ...

    async def ack(self, message: Message) -> None: ...

    async def ack_many(self, messages: Sequence[Message]) -> None: ...

    async def nack(self, message: Message, delay_s: float = 0.0) -> None: ...

    async def dead_letter(self, message: Message, reason: str) -> None: ...

    async def close(self) -> None: ...


class TransportBase:
    """Defaults for the optional parts of :class:`Transport`; backends override what they can."""

    async def ack(self, message: Message) -> None:
        raise NotImplementedError

    async def ack_many(self, messages: Sequence[Message]) -> None:
        # Bounded: a broker client has a connection pool, and a batch may hold hundreds.
        for start in range(0, len(messages), ACK_PARALLEL):
            chunk = messages[start : start + ACK_PARALLEL]
            await asyncio.gather(*(self.ack(m) for m in chunk))

    async def erase(self, subject: Subject) -> Counts:
        raise self._not_searchable()

    async def count(self, subject: Subject) -> Counts:
        raise self._not_searchable()

    def _not_searchable(self) -> NotErasable:
        return NotErasable(
            "this broker keeps messages only until a service consumes them and has no search; "
            "drain it with `signalroom service --until-idle`, then erase the warehouse"
        )
