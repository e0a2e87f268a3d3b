"""Meeting booking for the sales agent.

``book_meeting(backend, name, email, preferred_time, timezone, now=...)`` validates what the caller
said (``validate_email``, ``parse_preferred_time``) and books through the backend from
``build_booking_backend(settings, home)``: a local SQLite store with .ics invites, or Cal.com.
Refusals raise ``BookingRefused`` with a ``spoken`` sentence; see ``base`` for the error tree.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import (
        Booking,
        BookingAuthError,
        BookingBackend,
        BookingError,
        BookingRefused,
        BookingRequest,
        BookingUnavailable,
    )
    from .calcom import CalComBookingBackend
    from .factory import book_meeting, build_booking_backend
    from .local import LocalBookingBackend
    from .validate import parse_preferred_time, resolve_timezone, validate_email

# Names load on first use, so importing the package (as the CLI does) stays cheap.
_EXPORTS = {
    "Booking": ".base",
    "BookingAuthError": ".base",
    "BookingBackend": ".base",
    "BookingError": ".base",
    "BookingRefused": ".base",
    "BookingRequest": ".base",
    "BookingUnavailable": ".base",
    "CalComBookingBackend": ".calcom",
    "book_meeting": ".factory",
    "build_booking_backend": ".factory",
    "LocalBookingBackend": ".local",
    "parse_preferred_time": ".validate",
    "resolve_timezone": ".validate",
    "validate_email": ".validate",
}
__all__ = [
    "Booking",
    "BookingAuthError",
    "BookingBackend",
    "BookingError",
    "BookingRefused",
    "BookingRequest",
    "BookingUnavailable",
    "CalComBookingBackend",
    "LocalBookingBackend",
    "book_meeting",
    "build_booking_backend",
    "parse_preferred_time",
    "resolve_timezone",
    "validate_email",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
