"""The embedded booking backend: a SQLite table and an .ics invite per meeting.

``HOME/bookings.sqlite`` holds one row per (email, start); booking the same person at the same
time again returns the first booking, so a retried tool call never double-books. icalendar writes
``HOME/invites/<booking_id>.ics`` (METHOD:REQUEST, organizer, attendee, zoned start and end).
SQLite and file writes run in a worker thread so the agent's event loop keeps serving audio.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
import zoneinfo
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event, vCalAddress, vText

from signalroom.booking.base import Booking, BookingError, BookingRequest
from signalroom.config import BookingSettings
from signalroom.privacy.subject import Subject
from signalroom.seam import Counts, NotErasable

_NAMESPACE = uuid.UUID("6f1d3f5e-3c57-4a0e-9a57-2d0f1c7b9e21")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bookings (
    booking_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    start_utc  TEXT NOT NULL,
    end_utc    TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    notes      TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (email, start_utc)
)
"""


class LocalBookingBackend:
    name = "local"

    def __init__(
        self,
        home: Path,
        *,
        meeting_minutes: int = 30,
        organizer_name: str = "Quillflow Sales",
        organizer_email: str = "sales@quillflow.example",
        join_url: str | None = None,
        product: str = "Quillflow",
    ) -> None:
        self.db_path = home / "bookings.sqlite"
        self.invites_dir = home / "invites"
        self._minutes = meeting_minutes
        self._organizer = (organizer_name, organizer_email)
        self._join_url = join_url
        self._product = product

    async def book(self, request: BookingRequest) -> Booking:
        return await asyncio.to_thread(self.book_sync, request)

    def book_sync(self, request: BookingRequest) -> Booking:
        """Store the booking (or find the same one) and make sure its invite exists."""
        start_utc = request.start.astimezone(UTC)
        end_utc = start_utc + timedelta(minutes=self._minutes)
        booking_id = str(
            uuid.uuid5(_NAMESPACE, f"{request.email.lower()}|{start_utc:%Y%m%dT%H%M%SZ}")
        )
        try:
            row = self._store(request, booking_id, start_utc, end_utc)
        except sqlite3.Error as exc:
            raise BookingError(f"cannot write the booking to {self.db_path}: {exc}") from None
        zone = zoneinfo.ZoneInfo(row["timezone"])
        booking = Booking(
            booking_id=row["booking_id"],
            name=row["name"],
            email=row["email"],
            start=datetime.fromisoformat(row["start_utc"]).astimezone(zone),
            end=datetime.fromisoformat(row["end_utc"]).astimezone(zone),
            timezone=row["timezone"],
            backend=self.name,
            ics_path=self.invites_dir / f"{row['booking_id']}.ics",
            join_url=self._join_url,
        )
        try:
            self._write_invite(booking, row["notes"])
        except OSError as exc:
            raise BookingError(f"cannot write the invite {booking.ics_path}: {exc}") from None
        return booking

    def _store(
        self, request: BookingRequest, booking_id: str, start_utc: datetime, end_utc: datetime
    ) -> sqlite3.Row:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.db_path, timeout=5.0)) as db, db:
            db.row_factory = sqlite3.Row
            db.execute(_SCHEMA)
            db.execute(
                "INSERT INTO bookings (booking_id, name, email, start_utc, end_utc, timezone,"
                " notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (email, start_utc) DO NOTHING",
                (
                    booking_id,
                    request.name,
                    request.email,
                    start_utc.isoformat(),
                    end_utc.isoformat(),
                    request.timezone,
                    request.notes,
                    datetime.now(UTC).isoformat(),
                ),
            )
            row: sqlite3.Row = db.execute(
                "SELECT * FROM bookings WHERE email = ? AND start_utc = ?",
                (request.email, start_utc.isoformat()),
            ).fetchone()
        return row

    def list_bookings(self) -> list[dict[str, str | None]]:
        """Every stored booking, earliest first (``signalroom booking list``)."""
        if not self.db_path.exists():
            return []
        with closing(sqlite3.connect(self.db_path, timeout=5.0)) as db:
            db.row_factory = sqlite3.Row
            return [
                dict(row)
                for row in db.execute(
                    "SELECT booking_id, name, email, start_utc, end_utc, timezone, notes,"
                    " created_at FROM bookings ORDER BY start_utc"
                )
            ]

    # -- the backend seam (signalroom.seam) -----------------------------------------------
    async def check(self) -> str:
        return f"{self.db_path}: {len(await asyncio.to_thread(self.list_bookings))} bookings"

    async def close(self) -> None:
        return None

    async def erase(self, subject: Subject) -> Counts:
        """Delete the person's bookings (or those that ended before the cutoff) and invites."""
        return await asyncio.to_thread(self._matching, subject, True)

    async def count(self, subject: Subject) -> Counts:
        return await asyncio.to_thread(self._matching, subject, False)

    def _matching(self, subject: Subject, delete: bool) -> Counts:
        if subject.session_id is not None:
            raise NotErasable("bookings are kept per email, not per call")
        hits = [
            row["booking_id"]
            for row in self.list_bookings()
            if (subject.before is not None and (row["end_utc"] or "") < _iso(subject.before))
            or (subject.before is None and subject.mentioned_in(row["email"] or ""))
        ]
        invites = [self.invites_dir / f"{b}.ics" for b in hits]
        present = [p for p in invites if p.exists()]
        if delete and hits:
            with closing(sqlite3.connect(self.db_path, timeout=5.0)) as db, db:
                db.execute("PRAGMA secure_delete = ON")
                db.executemany("DELETE FROM bookings WHERE booking_id = ?", [(b,) for b in hits])
            for path in present:
                path.unlink(missing_ok=True)
        return {"bookings": len(hits), "invites": len(present)}

    def _write_invite(self, booking: Booking, notes: str | None) -> None:
        assert booking.ics_path is not None
        if booking.ics_path.exists():
            return
        self.invites_dir.mkdir(parents=True, exist_ok=True)
        tmp = booking.ics_path.with_suffix(".ics.tmp")
        tmp.write_bytes(self.invite(booking, notes))
        os.replace(tmp, booking.ics_path)  # readers never see half a file

    def invite(self, booking: Booking, notes: str | None = None) -> bytes:
        """The iCalendar REQUEST for ``booking``, in the attendee's time zone."""
        cal = Calendar()
        cal.add("prodid", "-//signalroom//booking//EN")
        cal.add("version", "2.0")
        cal.add("method", "REQUEST")
        event = Event()
        event.add("uid", f"{booking.booking_id}@signalroom")
        event.add("dtstamp", datetime.now(UTC))
        event.add("dtstart", booking.start)
        event.add("dtend", booking.end)
        event.add("summary", f"{self._product} intro call with {booking.name}")
        description = f"Booked for {booking.name} <{booking.email}>."
        if notes:
            description += f"\n\nNotes: {notes}"
        event.add("description", description)
        if booking.join_url:
            event.add("location", booking.join_url)
            event.add("url", booking.join_url)
        organizer_name, organizer_email = self._organizer
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["cn"] = vText(organizer_name)
        event["organizer"] = organizer
        attendee = vCalAddress(f"mailto:{booking.email}")
        attendee.params["cn"] = vText(booking.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
        event.add("status", "CONFIRMED")
        cal.add_component(event)
        cal.add_missing_timezones()  # VTIMEZONE for the TZID used by DTSTART/DTEND
        return bytes(cal.to_ical())


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def build(settings: BookingSettings, home: Path) -> LocalBookingBackend:
    """The backend for ``booking.backend = "local"`` (the default)."""
    return LocalBookingBackend(
        home,
        meeting_minutes=settings.meeting_minutes,
        organizer_name=settings.organizer_name,
        organizer_email=settings.organizer_email,
        join_url=settings.join_url,
    )
