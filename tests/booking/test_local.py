"""The local backend writes a SQLite row and an .ics invite, once per (email, start)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from signalroom.booking import (
    BookingBackend,
    BookingRequest,
    LocalBookingBackend,
    build_booking_backend,
)
from signalroom.config import BookingSettings
from tests.booking.contract import BookingContract

START = datetime(2025, 6, 12, 15, 0, tzinfo=ZoneInfo("America/New_York"))


def request(**changes: object) -> BookingRequest:
    fields: dict[str, object] = {
        "name": "Jane Doe",
        "email": "jane@acme.com",
        "start": START,
        "timezone": "America/New_York",
        "notes": "Interested in the Salesforce integration",
    }
    fields.update(changes)
    return BookingRequest(**fields)  # type: ignore[arg-type]


def rows(home: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "bookings.sqlite") as db:
        return db.execute(
            "SELECT booking_id, name, email, start_utc, end_utc, timezone, notes FROM bookings"
            " ORDER BY start_utc"
        ).fetchall()


async def test_booking_writes_a_row_and_a_valid_invite(tmp_path: Path) -> None:
    backend = build_booking_backend(
        BookingSettings(meeting_minutes=45, join_url="https://meet.example/quillflow"), tmp_path
    )
    assert isinstance(backend, LocalBookingBackend) and isinstance(backend, BookingBackend)

    booking = await backend.book(request())

    assert booking.backend == "local"
    assert booking.start == START and booking.end == START + timedelta(minutes=45)
    assert str(booking.start.tzinfo) == "America/New_York"
    assert booking.join_url == "https://meet.example/quillflow"
    assert rows(tmp_path) == [
        (
            booking.booking_id,
            "Jane Doe",
            "jane@acme.com",
            "2025-06-12T19:00:00+00:00",
            "2025-06-12T19:45:00+00:00",
            "America/New_York",
            "Interested in the Salesforce integration",
        )
    ]

    assert booking.ics_path == tmp_path / "invites" / f"{booking.booking_id}.ics"
    cal = Calendar.from_ical(booking.ics_path.read_bytes())
    assert str(cal["method"]) == "REQUEST"
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == f"{booking.booking_id}@signalroom"
    assert event.decoded("dtstart") == START
    assert event["dtstart"].params["TZID"] == "America/New_York"
    assert event.decoded("dtend") == START + timedelta(minutes=45)
    assert str(event["organizer"]) == "mailto:sales@quillflow.example"
    assert str(event["attendee"]) == "mailto:jane@acme.com"
    assert event["attendee"].params["CN"] == "Jane Doe"
    assert "Jane Doe" in str(event["summary"])
    assert "Salesforce integration" in str(event["description"])
    assert str(event["location"]) == "https://meet.example/quillflow"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]


async def test_booking_the_same_email_and_time_again_is_idempotent(tmp_path: Path) -> None:
    backend = LocalBookingBackend(tmp_path)
    first = await backend.book(request())
    # The same instant said in another zone, and a retried tool call with a changed name.
    again = await backend.book(
        request(name="Jane D.", start=START.astimezone(ZoneInfo("UTC")), timezone="UTC")
    )
    assert again.booking_id == first.booking_id
    assert again.name == "Jane Doe" and again.timezone == "America/New_York"
    assert len(rows(tmp_path)) == 1
    assert sorted(p.name for p in (tmp_path / "invites").iterdir()) == [f"{first.booking_id}.ics"]

    later = await backend.book(request(start=START + timedelta(hours=1)))
    other = await backend.book(request(email="sam@acme.com"))
    assert len({first.booking_id, later.booking_id, other.booking_id}) == 3
    assert len(rows(tmp_path)) == 3


async def test_a_missing_invite_is_written_again(tmp_path: Path) -> None:
    backend = LocalBookingBackend(tmp_path)
    booking = await backend.book(request())
    assert booking.ics_path is not None
    booking.ics_path.unlink()
    again = await backend.book(request())
    assert again.ics_path == booking.ics_path and booking.ics_path.exists()


async def test_odd_input_is_stored_as_data_not_sql(tmp_path: Path) -> None:
    backend = LocalBookingBackend(tmp_path)
    name = "Robert'); DROP TABLE bookings;--"
    booking = await backend.book(request(name=name, notes=None))
    assert booking.name == name
    assert rows(tmp_path)[0][1] == name


def test_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        request(start=datetime(2025, 6, 12, 15, 0))


class TestLocalBookingContract(BookingContract):
    @pytest.fixture(autouse=True)
    def _home(self, tmp_path: Path) -> None:
        self.home = tmp_path

    async def make_backend(self) -> BookingBackend:
        return build_booking_backend(BookingSettings(), self.home)
