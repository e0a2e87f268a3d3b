"""``signalroom booking book|list``: book through the configured backend, list local bookings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from signalroom.cli_common import HomeOption, JsonFlag
from signalroom.console import fail, out_console, print_json


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="booking",
        help="Book meetings the way the agent does (local store or Cal.com).\n\n"
        'Example: signalroom booking book --name "Jane Doe" --email jane@acme.com '
        '--when "tomorrow at 3pm" --timezone America/New_York',
        no_args_is_help=True,
    )
    group.command(
        "book",
        help="Validate and book one meeting with the configured backend.\n\n"
        'Example: signalroom booking book --name "Jane Doe" --email "jane at acme dot com" '
        '--when "next tuesday 10am" --timezone Eastern --json',
    )(book)
    group.command(
        "list",
        help="List bookings in the local store (HOME/bookings.sqlite).\n\n"
        "Example: signalroom booking list --json",
    )(list_bookings)
    app.add_typer(group)


def book(
    *,
    name: Annotated[str, typer.Option("--name", help="Attendee name.")],
    email: Annotated[str, typer.Option("--email", help="Attendee email (spoken form is fine).")],
    when: Annotated[
        str | None, typer.Option("--when", help='Preferred time, e.g. "tomorrow at 3pm".')
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone, city or name like Pacific.")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes for the invite.")] = None,
    home: HomeOption = None,
    json: JsonFlag = False,
) -> None:
    import asyncio

    from signalroom.booking import BookingError, book_meeting, build_booking_backend
    from signalroom.config import load_settings

    settings = load_settings(home)
    backend = build_booking_backend(settings.booking, settings.home)
    try:
        booking = asyncio.run(
            book_meeting(
                backend,
                name,
                email,
                when,
                timezone,
                now=datetime.now(UTC),
                default_timezone=settings.booking.default_timezone,
                notes=notes,
                open_hour=settings.booking.open_hour,
                close_hour=settings.booking.close_hour,
            )
        )
    except BookingError as exc:
        fail(f"{exc} (would say: {exc.spoken!r})", hint=exc.hint)
    if json:
        print_json(
            {
                "booking_id": booking.booking_id,
                "name": booking.name,
                "email": booking.email,
                "start": booking.start.isoformat(),
                "end": booking.end.isoformat(),
                "timezone": booking.timezone,
                "backend": booking.backend,
                "ics_path": str(booking.ics_path) if booking.ics_path else None,
                "join_url": booking.join_url,
            }
        )
        return
    out_console.print(
        f"booked {booking.name} <{booking.email}> on {booking.start:%A %d %B %Y at %H:%M} "
        f"{booking.timezone} ({booking.backend}, id {booking.booking_id})"
    )
    if booking.ics_path:
        out_console.print(f"invite: {booking.ics_path}", style="dim")


def list_bookings(home: HomeOption = None, json: JsonFlag = False) -> None:
    import sqlite3

    from signalroom.config import load_settings

    path = load_settings(home).home / "bookings.sqlite"
    if not path.exists():
        fail(f"no local bookings yet ({path} does not exist)")
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [
            dict(row)
            for row in db.execute(
                "SELECT booking_id, name, email, start_utc, end_utc, timezone, notes, created_at"
                " FROM bookings ORDER BY start_utc"
            )
        ]
    if json:
        print_json(rows)
        return
    for row in rows:
        out_console.print(f"{row['start_utc']}  {row['name']} <{row['email']}>  {row['timezone']}")
    out_console.print(f"{len(rows)} booking(s)", style="dim")
