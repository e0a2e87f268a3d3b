"""Pick the booking backend from settings, and the one call the agent's tool makes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signalroom.booking.base import Booking, BookingBackend, BookingRefused, BookingRequest
from signalroom.booking.calcom import CalComBookingBackend
from signalroom.booking.local import LocalBookingBackend
from signalroom.booking.validate import find_timezone, parse_preferred_time, validate_email
from signalroom.config import BookingSettings
from signalroom.errors import ConfigError


def build_booking_backend(settings: BookingSettings, home: Path) -> BookingBackend:
    """The configured backend; a ConfigError names the setting that is missing."""
    if settings.backend == "calcom":
        missing = [
            env
            for env, value in (
                ("SIGNALROOM_BOOKING__API_KEY", settings.api_key),
                ("SIGNALROOM_BOOKING__EVENT_TYPE_ID", settings.event_type_id),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(
                "booking.backend is 'calcom' but " + " and ".join(missing) + " is not set",
                hint="set them in the environment or in [booking] of signalroom.toml",
            )
        assert settings.api_key is not None and settings.event_type_id is not None
        return CalComBookingBackend(
            api_key=settings.api_key,
            event_type_id=settings.event_type_id,
            url=settings.url,
            api_version=settings.api_version,
            timeout_s=settings.timeout_s,
        )
    return LocalBookingBackend(
        home,
        meeting_minutes=settings.meeting_minutes,
        organizer_name=settings.organizer_name,
        organizer_email=settings.organizer_email,
        join_url=settings.join_url,
    )


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
