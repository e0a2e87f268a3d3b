"""``signalroom booking book|list``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from signalroom.booking import commands
from signalroom.console import CommandFailed

# Only this command group: the tests stay independent of the rest of the CLI.
app = typer.Typer()
commands.register(app)
runner = CliRunner()


def test_booking_book_and_list(tmp_path: Path) -> None:
    booked = runner.invoke(
        app,
        [
            "booking",
            "book",
            "--name",
            "Jane Doe",
            "--email",
            "jane at acme dot com",
            "--when",
            "next tuesday 10am",
            "--timezone",
            "Europe/Berlin",
            "--home",
            str(tmp_path),
            "--json",
        ],
    )
    assert booked.exit_code == 0, booked.output
    booking = json.loads(booked.stdout)
    assert booking["email"] == "jane@acme.com"
    assert booking["timezone"] == "Europe/Berlin"
    assert booking["start"].endswith(("+01:00", "+02:00")) and "T10:00:00" in booking["start"]
    assert Path(booking["ics_path"]).exists()

    listed = runner.invoke(app, ["booking", "list", "--home", str(tmp_path), "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["booking_id"] == booking["booking_id"]


def test_booking_refusal_shows_what_the_agent_would_say(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["booking", "book", "--name", "Jane", "--email", "jane@acme", "--home", str(tmp_path)],
    )
    assert isinstance(result.exception, CommandFailed)
    assert "would say" in str(result.exception)
