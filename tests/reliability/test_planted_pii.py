"""Planted personal data: a simulated call says two emails (one without a dot in the domain, as
speech recognition often writes it), a phone number, a card number, an SSN (dashed, then as bare
digits after a cue) and a street address, and books a meeting with another email. With the
default privacy policy none of the planted values reaches the outbox, the queue, the warehouse,
the logs, the console, the report or a webhook body; the booking email (kept by
``booking_email = "keep"``) appears only in the warehouse's booking fields, never in a
transcript, a log or a webhook body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from signalroom.config import load_settings
from signalroom.outbox import Outbox
from signalroom.record import SessionRecord
from signalroom.simulate.runner import run_call
from signalroom.transports.envelope import decode_envelope
from tests.reliability.capture import CaptureServer

pytestmark = pytest.mark.slow

BOOKING_EMAIL = "dana.booker@bookingco.com"
PHONE = "415-555-0132"
PLANTED = {
    "email": "planted.person@example.org",
    # Speech recognition often drops the domain's ending; the address is still personal data.
    "undotted email": "omar.smith@smithbuild",
    "phone": PHONE,
    "phone digits": "4155550132",
    "card": "4111 1111 1111 1111",
    "card digits": "4111111111111111",
    "ssn": "219-09-9999",
    "ssn digits": "219099999",
    "address": "1600 Amphitheatre Parkway",
    # An unkeyed hash of a phone number is reversed by trying every number: it must not leave.
    "identity sha256": hashlib.sha256(PHONE.encode()).hexdigest(),
}
TURNS = [
    "Hi, we're a legal firm with 12 people and we need a Salesforce integration.",
    f"Let's book a demo tomorrow at 2pm UTC. My name is Dana Booker, my email is {BOOKING_EMAIL}.",
    f"Also my personal email is {PLANTED['email']} and you can call me at {PHONE}.",
    f"My old work address was {PLANTED['undotted email']} if that one is easier.",
    f"My card is {PLANTED['card']} and my SSN is {PLANTED['ssn']}, "
    f"so my social is {PLANTED['ssn digits']}.",
    f"Please post the contract to {PLANTED['address']}. Thanks, bye.",
]


def _leaks(text: str, *, booking_allowed: bool = False) -> list[str]:
    found = [name for name, value in PLANTED.items() if value.lower() in text.lower()]
    if not booking_allowed and BOOKING_EMAIL in text.lower():
        found.append("booking email")
    return found


def _without_booking_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The record minus the fields where policy keeps the booking email (CRM fields)."""
    for call in record.get("tool_calls") or []:
        call.pop("customer_email", None)
        for key in list((call.get("arguments") or {}).keys()):
            if "email" in key:
                call["arguments"].pop(key)
    return record


def _run(home: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SIGNALROOM_HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


async def test_planted_values_reach_no_store_log_console_or_webhook(
    home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    with CaptureServer() as hook:
        (home / "signalroom.toml").write_text(
            f'[privacy]\nhash_key = "{secrets.token_hex(16)}"\n\n'
            f'[[destinations.webhooks]]\nurl = "{hook.url}"\nsecret = "{secret}"\nname = "capture"\n'
        )
        settings = load_settings(home)
        log_file = home / "call.log"
        handler = logging.FileHandler(log_file)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        # Our own and LiveKit's debug lines too: the most a deployment could turn on.
        chatty = [logging.getLogger(n) for n in ("signalroom", "livekit")]
        levels = [root.level, *(c.level for c in chatty)]
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        for logger in chatty:
            logger.setLevel(logging.DEBUG)
        outbox = Outbox(settings.outbox_path, settings.outbox)
        try:
            final = await run_call(
                TURNS,
                settings=settings,
                session_id="pii-call",
                sink=outbox.append,
                participant_identity=PHONE,
            )
        finally:
            root.removeHandler(handler)
            for logger, level in zip([root, *chatty], levels, strict=True):
                logger.setLevel(level)
            handler.close()
            outbox.close()
        # The runner's recorder applied the policy: each planted kind was found and replaced.
        said = " ".join(t.text for t in final.transcript or [] if t.role == "user")
        for placeholder in ("[EMAIL]", "[PHONE]", "[CARD]", "[NATIONAL_ID]", "[ADDRESS]"):
            assert placeholder in said, placeholder
        assert final.tool_calls and any(c.customer_email == BOOKING_EMAIL for c in final.tool_calls)

        # Outbox: every version, decoded.
        with sqlite3.connect(settings.outbox_path) as db:
            payloads = [bytes(p) for (p,) in db.execute("SELECT payload FROM payloads")]
        assert payloads
        for payload in payloads:
            _, data = decode_envelope(payload)
            assert data["redaction"]["transcript"] == "redact"
            assert "[EMAIL]" in json.dumps(data)
            assert _leaks(json.dumps(_without_booking_fields(data))) == []
            assert _leaks(payload.decode(), booking_allowed=True) == []

        console = _run(home, "outbox", "drain")
        # Queue: the spool's messages, decoded, before the service consumes them.
        with sqlite3.connect(settings.home / "spool" / "spool.sqlite") as db:
            bodies = [bytes(b) for (b,) in db.execute("SELECT body FROM messages")]
        assert bodies
        for body in bodies:
            _, data = decode_envelope(body)
            assert _leaks(json.dumps(_without_booking_fields(data))) == []

        console += _run(home, "service", "--until-idle", "--json")
        assert hook.bodies, "the webhook received nothing"

    from signalroom.dashboard.report import render_report

    report = render_report(settings.resolved_warehouse_url, home / "report.html")

    # Warehouse: every column of every table; the booking email only in booking fields.
    booking_seen = False
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        tables = [
            t for (t,) in db.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if column == "record":
                        booking_seen |= BOOKING_EMAIL in text
                        text = json.dumps(_without_booking_fields(json.loads(text)))
                    allowed = "email" in column
                    booking_seen |= allowed and BOOKING_EMAIL in text
                    assert _leaks(text, booking_allowed=allowed) == [], (table, column)
    assert booking_seen, "policy keeps the booking email for the CRM: it must be in the warehouse"
    stored = SessionRecord.model_validate_json(
        next(json.dumps(json.loads(r)) for r in _records(home))
    )
    assert stored.transcript and all(BOOKING_EMAIL not in t.text for t in stored.transcript)

    for body in hook.bodies:
        assert _leaks(body.decode()) == [], "webhook body"
    # Both log files were really written (an empty log would prove nothing), and hold no value.
    service_log = home / "logs" / "service.log"
    for path in (log_file, service_log):
        assert path.is_file() and path.stat().st_size > 0, path.name
    logs = log_file.read_text() + service_log.read_text()
    assert _leaks(logs) == [], "logs"
    captured = capfd.readouterr()
    assert _leaks(console + captured.out + captured.err) == [], "console"
    assert _leaks(report.read_text()) == [], "report"


def _records(home: Path) -> list[str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT CAST(record AS VARCHAR) FROM sessions").fetchall()
    return [str(r) for (r,) in rows]
