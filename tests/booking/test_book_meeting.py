"""``book_meeting``: what the agent's tool calls, from spoken words to a stored booking."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from signalroom.booking import BookingRefused, LocalBookingBackend, book_meeting
from tests.booking.conftest import NOW


async def test_spoken_details_become_a_booking(tmp_path: Path) -> None:
    backend = LocalBookingBackend(tmp_path)
    booking = await book_meeting(
        backend,
        "  Jane   Doe ",
        "jane at acme dot com",
        "tomorrow at 3pm",
        "Eastern",
        now=NOW,
        default_timezone="UTC",
        notes="50 seats, HIPAA",
    )
    assert booking.name == "Jane Doe"
    assert booking.email == "jane@acme.com"
    assert booking.start == datetime(2025, 6, 12, 15, 0, tzinfo=ZoneInfo("America/New_York"))
    assert booking.timezone == "America/New_York"
    assert booking.ics_path is not None and booking.ics_path.exists()


async def test_default_zone_and_time_are_used_when_not_said(tmp_path: Path) -> None:
    booking = await book_meeting(
        LocalBookingBackend(tmp_path),
        "Sam",
        "sam@acme.com",
        None,
        None,
        now=NOW,
        default_timezone="Europe/London",
    )
    assert booking.start == datetime(2025, 6, 12, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    assert booking.timezone == "Europe/London"


@pytest.mark.parametrize(
    ("name", "email", "when", "said"),
    [
        ("", "jane@acme.com", "tomorrow at 3pm", "Who should I put"),
        ("Jane", "jane acme", "tomorrow at 3pm", "missing the 'at'"),
        ("Jane", "jane@acme.com", "last monday", "already passed"),
        ("Jane", "jane@acme.com", "sunday at noon", "weekdays"),
    ],
)
async def test_refusals_book_nothing(
    tmp_path: Path, name: str, email: str, when: str, said: str
) -> None:
    with pytest.raises(BookingRefused) as caught:
        await book_meeting(
            LocalBookingBackend(tmp_path), name, email, when, "UTC", now=NOW, default_timezone="UTC"
        )
    assert said in caught.value.spoken
    assert not (tmp_path / "bookings.sqlite").exists()


async def test_retried_tool_call_books_once(tmp_path: Path) -> None:
    backend = LocalBookingBackend(tmp_path)
    args = ("Jane", "Jane@Acme.com", "next tuesday 10am", "Europe/Berlin")
    first = await book_meeting(backend, *args, now=NOW, default_timezone="UTC")
    second = await book_meeting(backend, *args, now=NOW, default_timezone="UTC")
    assert first == second
    with sqlite3.connect(tmp_path / "bookings.sqlite") as db:
        assert db.execute("SELECT count(*) FROM bookings").fetchone() == (1,)
