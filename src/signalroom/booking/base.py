"""What a booking is and what every booking backend does; its errors are in ``signalroom.errors``.

Every booking error carries ``spoken``: one short sentence the agent can say aloud as it is.
``BookingError``, ``BookingRefused`` (the request is wrong: email, time, zone, slot),
``BookingAuthError`` and ``BookingUnavailable`` (retryable) are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from signalroom.errors import (
    DEFAULT_SPOKEN,
    BookingAuthError,
    BookingError,
    BookingRefused,
    BookingUnavailable,
)
from signalroom.seam import Backend

__all__ = [
    "DEFAULT_SPOKEN",
    "Booking",
    "BookingAuthError",
    "BookingBackend",
    "BookingError",
    "BookingRefused",
    "BookingRequest",
    "BookingUnavailable",
]


@dataclass(frozen=True)
class BookingRequest:
    """A validated request: ``start`` is timezone-aware, ``timezone`` an IANA name."""

    name: str
    email: str
    start: datetime
    timezone: str
    notes: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("BookingRequest.start must be timezone-aware")


@dataclass(frozen=True)
class Booking:
    """A confirmed meeting; ``start``/``end`` are in the caller's ``timezone``."""

    booking_id: str
    name: str
    email: str
    start: datetime
    end: datetime
    timezone: str
    backend: str
    ics_path: Path | None
    join_url: str | None


@runtime_checkable
class BookingBackend(Backend, Protocol):
    """Books meetings; like every backend, also ``check``, ``erase`` and ``count``."""

    name: str

    async def book(self, request: BookingRequest) -> Booking: ...
