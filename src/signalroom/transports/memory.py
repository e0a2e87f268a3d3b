"""In-process reference transport: the semantics every broker backend must match.

Used by tests and by ``signalroom.testing``; named queues live in a process-wide dict so a
producer and a consumer opened from the same ``memory://NAME`` URL meet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from signalroom.errors import PayloadTooLargeError
from signalroom.transports.base import Message, OutgoingMessage
from signalroom.urls import parse_url


@dataclass
class _Queue:
    ready: list[tuple[float, Message]] = field(default_factory=list)
    inflight: dict[int, Message] = field(default_factory=dict)
    dead: list[tuple[Message, str]] = field(default_factory=list)
    next_handle: int = 0


_QUEUES: dict[str, _Queue] = {}


def queue_state(name: str) -> _Queue:
    return _QUEUES.setdefault(name, _Queue())


class MemoryTransport:
    max_message_bytes = 64 * 1024 * 1024

    def __init__(self, name: str) -> None:
        self.url = f"memory://{name}"
        self.name = name
        self._q = queue_state(name)

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        for out in batch:
            if len(out.body) > self.max_message_bytes:
                raise PayloadTooLargeError(
                    f"message {out.id} is {len(out.body)} bytes, over {self.max_message_bytes}"
                )
        for out in batch:
            self._q.ready.append((0.0, Message(id=out.id, body=out.body, delivery_count=0)))

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        deadline = time.monotonic() + timeout_s
        while True:
            now = time.monotonic()
            taken: list[Message] = []
            keep: list[tuple[float, Message]] = []
            for due, msg in self._q.ready:
                if due <= now and len(taken) < max_messages:
                    self._q.next_handle += 1
                    msg.delivery_count += 1
                    msg.handle = self._q.next_handle
                    self._q.inflight[msg.handle] = msg
                    taken.append(msg)
                else:
                    keep.append((due, msg))
            self._q.ready = keep
            if taken or now >= deadline:
                return taken
            await asyncio.sleep(min(0.01, max(0.0, deadline - now)))

    async def ack(self, message: Message) -> None:
        self._q.inflight.pop(message.handle, None)

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        if self._q.inflight.pop(message.handle, None) is not None:
            self._q.ready.append((time.monotonic() + delay_s, message))

    async def dead_letter(self, message: Message, reason: str) -> None:
        self._q.inflight.pop(message.handle, None)
        self._q.dead.append((message, reason))

    async def close(self) -> None:
        return None


def from_url(url: str) -> MemoryTransport:
    parsed = parse_url(url, kind="queue URL", authority="path", example="memory://records")
    return MemoryTransport((parsed.authority + parsed.path).strip("/") or "default")
