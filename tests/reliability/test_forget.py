"""``signalroom forget``: a person's data leaves the outbox, the queue, dead letters, the warehouse
and the booking store; other people's data stays; retention removes only old records."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from signalroom.booking.base import BookingRequest
from signalroom.booking.local import LocalBookingBackend
from signalroom.cli import app
from signalroom.config import Settings, load_settings
from signalroom.console import CommandFailed
from signalroom.destinations import open_warehouse
from signalroom.outbox import Outbox
from signalroom.privacy import keyed_hash
from signalroom.record import SessionRecord
from signalroom.service.runner import run_service
from signalroom.transports import open_transport
from signalroom.transports.base import OutgoingMessage
from signalroom.transports.spool import from_url as spool_from_url
from tests.reliability.records import make_record

EMAIL = "jane@acme.com"
OTHER = "bob@other.com"
KEY = "test-hash-key-0123456789"


def _settings(home: Path) -> Settings:
    (home / "signalroom.toml").write_text(f'[privacy]\nhash_key = "{KEY}"\n')
    return load_settings(home)


def _warehouse_sessions(settings: Settings) -> dict[str, SessionRecord]:
    warehouse = open_warehouse(settings.resolved_warehouse_url)
    try:
        return {r.session_id: r for r in warehouse.iter_records()}
    finally:
        asyncio.run(warehouse.close())


def _forget(home: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["forget", "--home", str(home), "--json", *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


async def _deliver(settings: Settings, outbox: Outbox, records: list[SessionRecord]) -> None:
    for record in records:
        outbox.append(record)
    transport = open_transport(settings.resolved_queue_url)
    try:
        await outbox.forward(transport)
    finally:
        await transport.close()


@pytest.fixture
def filled(home: Path) -> Settings:
    """A home where jane's data rests in every place, beside bob's."""
    settings = _settings(home)
    key = KEY.encode()
    outbox = Outbox(settings.outbox_path, settings.outbox)
    raw = make_record("s-raw", email=EMAIL, revision=0, complete=False)
    raw_final = make_record("s-raw", email=EMAIL, revision=1)
    hashed = make_record("s-hashed", email=keyed_hash(EMAIL, key))
    spoken = make_record(
        "s-transcript",
        email=None,
        transcript=[{"role": "user", "text": "write to Jane@Acme.com please"}],
    )
    bob = make_record("s-bob", email=OTHER)
    asyncio.run(_deliver(settings, outbox, [raw, raw_final, hashed, spoken, bob]))

    # A record too large for a small spool is parked in the outbox.
    big = make_record(
        "s-big", email=EMAIL, conversation_notes=[{"text": "x" * 3000}, {"text": EMAIL}]
    )
    small = spool_from_url(settings.resolved_queue_url + "?max_bytes=2500")
    outbox.append(big)
    asyncio.run(outbox.forward(small))
    assert outbox.status().parked == 1

    # A malformed message naming jane is dead-lettered by the service.
    bad = b'{"specversion":"1.0","id":"bad-1","type":"signalroom.session.v1","data":{"x":"%s"}}'

    async def publish_bad() -> None:
        spool = open_transport(settings.resolved_queue_url)
        await spool.publish([OutgoingMessage("bad-1", bad % EMAIL.encode())])
        await spool.close()

    asyncio.run(publish_bad())
    stats = asyncio.run(run_service(settings, until_idle=True))
    assert stats.applied == 4 and stats.dead_lettered == 1

    # One more of jane's records waits in the queue, not yet consumed.
    later = make_record("s-queued", email=EMAIL)
    asyncio.run(_deliver(settings, outbox, [later]))

    backend = LocalBookingBackend(home)
    start = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
    backend.book_sync(BookingRequest("Jane", EMAIL, start, "UTC"))
    backend.book_sync(BookingRequest("Bob", OTHER, start, "UTC"))
    outbox.close()
    return settings


def _files_containing(home: Path, needle: bytes) -> list[str]:
    found = []
    for path in home.rglob("*"):
        if path.is_file() and path.suffix != ".duckdb" and needle in path.read_bytes():
            found.append(path.name)
    return found


def test_forget_email_erases_every_place_and_keeps_others(filled: Settings) -> None:
    home = filled.home
    assert _files_containing(home, EMAIL.encode())  # the test data really is on disk

    report = _forget(home, "--email", EMAIL.upper())

    assert report["removed"]["outbox"] == {"versions": 6, "records": 5}
    assert report["removed"]["queue"] == {"messages": 1, "dead_letters": 1}
    assert report["removed"]["warehouse"] == {"records": 3}
    assert report["removed"]["bookings"] == {"bookings": 1, "invites": 1}
    assert report["total"] == 13
    assert set(_warehouse_sessions(filled)) == {"s-bob"}
    outbox = Outbox(filled.outbox_path)
    assert [r["record_id"] for r in outbox.newest_versions()] == [make_record("s-bob").record_id]
    # secure_delete and the WAL checkpoint leave no copy in free pages or the log.
    hashed = keyed_hash(EMAIL, KEY.encode()).encode()
    assert _files_containing(home, EMAIL.encode()) == []
    assert _files_containing(home, hashed) == []
    assert _files_containing(home, OTHER.encode())  # bob's booking and records remain

    again = _forget(home, "--email", EMAIL)
    assert again["total"] == 0


def test_forget_session_erases_only_that_call(filled: Settings) -> None:
    report = _forget(filled.home, "--session", "s-raw")
    assert report["removed"]["outbox"] == {"versions": 2, "records": 1}
    assert report["removed"]["warehouse"] == {"records": 1}
    assert report["removed"]["queue"] == {"messages": 0, "dead_letters": 0}
    assert "bookings" in report["skipped"]
    assert set(_warehouse_sessions(filled)) == {"s-hashed", "s-transcript", "s-bob"}


def test_retention_removes_only_old_records(home: Path) -> None:
    settings = _settings(home)
    (home / "signalroom.toml").write_text(f'[privacy]\nhash_key = "{KEY}"\nretention_days = 30\n')
    now = datetime.now(UTC)
    old = make_record("s-old", start=now - timedelta(days=40))
    fresh = make_record("s-fresh", start=now - timedelta(days=2))
    outbox = Outbox(settings.outbox_path)
    asyncio.run(_deliver(settings, outbox, [old, fresh]))
    asyncio.run(run_service(settings, until_idle=True))

    report = _forget(home, "--expired")

    assert report["subject"] == "records older than 30 days"
    assert report["removed"]["warehouse"] == {"records": 1}
    assert report["removed"]["outbox"] == {"versions": 1, "records": 1}
    assert set(_warehouse_sessions(settings)) == {"s-fresh"}
    assert _forget(home, "--older-than-days", "1")["removed"]["warehouse"] == {"records": 1}


def _refused(home: Path, *args: str) -> CommandFailed:
    result = CliRunner().invoke(app, ["forget", "--home", str(home), *args])
    assert isinstance(result.exception, CommandFailed), result.output
    assert result.exception.code == 2
    return result.exception


def test_forget_refuses_bad_input(home: Path) -> None:
    assert "exactly one of" in str(_refused(home))
    assert "(got --email, --session)" in str(_refused(home, "--email", EMAIL, "--session", "x"))
    assert "'not-an-email' is not an email address" in str(
        _refused(home, "--email", "not-an-email")
    )
    assert "retention_days is not set" in str(_refused(home, "--expired"))
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "forget", "--home", str(home), "--email", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "error: 'x' is not an email address" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_forget_on_a_demo_home(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "demo", "--sessions", "3", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    settings = load_settings(home)
    booked = {
        c.customer_email: r.session_id
        for r in _warehouse_sessions(settings).values()
        for c in r.tool_calls
        if c.customer_email and c.success  # a refused booking (bad email) stores nothing
    }
    assert booked, "the demo booked no meeting"
    email, session = next(iter(booked.items()))
    assert _files_containing(home, email.encode())

    report = _forget(home, "--email", email)

    assert report["removed"]["warehouse"] == {"records": 1}
    assert report["removed"]["outbox"]["records"] == 1
    assert report["removed"]["bookings"]["bookings"] == 1
    remaining = _warehouse_sessions(settings)
    assert session not in remaining and len(remaining) == 2
    assert _files_containing(home, email.encode()) == []
