"""Meeting booking for the sales agent.

``book_meeting(backend, name, email, preferred_time, timezone, now=...)`` validates what the caller
said (``validate_email``, ``parse_preferred_time``) and books through the backend from
``build_booking_backend(settings, home)``: a local SQLite store with .ics invites, or Cal.com.
Refusals raise ``BookingRefused`` with a ``spoken`` sentence; see ``base`` for the error tree.
"""

from signalroom.booking.base import (
    Booking,
    BookingAuthError,
    BookingBackend,
    BookingError,
    BookingRefused,
    BookingRequest,
    BookingUnavailable,
)
from signalroom.booking.calcom import CalComBookingBackend
from signalroom.booking.factory import book_meeting, build_booking_backend
from signalroom.booking.local import LocalBookingBackend
from signalroom.booking.validate import parse_preferred_time, resolve_timezone, validate_email

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
