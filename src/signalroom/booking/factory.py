"""Pick the booking backend from settings (by name, in ``BACKENDS``), and the tool's one call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from signalroom.booking.base import Booking, BookingBackend, BookingRefused, BookingRequest
from signalroom.booking.validate import find_timezone, parse_preferred_time, validate_email
from signalroom.config import BookingSettings
from signalroom.seam import Registry

#: ``booking.backend`` → the module's ``build(settings, home)``, imported when chosen.
BACKENDS: Registry[Callable[[BookingSettings, Path], BookingBackend]] = Registry(
    "booking backend",
    {
        "local": "signalroom.booking.local:build",
        "calcom": "signalroom.booking.calcom:build",
    },
    hint="set booking.backend to local or calcom",
)


def build_booking_backend(settings: BookingSettings, home: Path) -> BookingBackend:
    """The configured backend; a ConfigError names the setting that is missing."""
    return BACKENDS.load(settings.backend)(settings, home)


async def book_meeting(
    backend: BookingBackend,
    name: str,
    email: str,
    preferred_time: str | None,
    timezone: str | None,
    *,
    now: datetime,
    default_timezone: str = "UTC",
    notes: str | None = None,
    open_hour: int = 8,
    close_hour: int = 18,
) -> Booking:
    """Validate what the caller said, then book; every refusal has a ``spoken`` sentence."""
    clean_name = " ".join((name or "").split())
    if not clean_name:
        raise BookingRefused(
            "no name given for the booking", spoken="Who should I put the meeting under?"
        )
    address = validate_email(email)
    start = parse_preferred_time(
        preferred_time,
        timezone,
        now=now,
        default_timezone=default_timezone,
        open_hour=open_hour,
        close_hour=close_hour,
    )
    zone = getattr(start.tzinfo, "key", None) or find_timezone(default_timezone) or "UTC"
    request = BookingRequest(
        name=clean_name, email=address, start=start, timezone=zone, notes=notes or None
    )
    return await backend.book(request)
