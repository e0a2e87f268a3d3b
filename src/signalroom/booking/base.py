"""What a booking is, what every booking backend does, and the errors it raises.

Every error carries ``spoken``: one short sentence the agent can say aloud as it is::

    SignalroomError
    └── BookingError               not retryable
        ├── BookingRefused         the request itself is wrong: bad email, time, time zone, slot
        ├── BookingAuthError       the calendar API refused the credentials
        └── BookingUnavailable     retryable: the calendar API is down, slow or rate-limiting
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from signalroom.errors import SignalroomError
from signalroom.seam import Backend

DEFAULT_SPOKEN = "I couldn't book that just now — could we try again in a moment?"


class BookingError(SignalroomError):
    """``str(exc)`` is for logs; ``spoken`` is for the caller."""

    retryable = False

    def __init__(self, message: str, *, spoken: str = DEFAULT_SPOKEN, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.spoken = spoken


class BookingRefused(BookingError):
    retryable = False


class BookingAuthError(BookingError):
    retryable = False


class BookingUnavailable(BookingError):
    retryable = True


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
