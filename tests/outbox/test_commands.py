"""``signalroom outbox …`` and ``signalroom doctor`` through the real CLI app."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from signalroom.commands import doctor
from signalroom.config import load_settings
from signalroom.console import CommandFailed
from signalroom.outbox import Outbox, commands
from signalroom.transports.spool import SpoolTransport
from tests.outbox.records import big_record, make_record

runner = CliRunner()
# The two command modules on an app of their own, registered exactly as cli.py does.
app = typer.Typer()
commands.register(app)
doctor.register(app)


def outbox_in(home: Path) -> Outbox:
    return Outbox(load_settings(home).outbox_path)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_status_json_on_empty_home_does_not_create_files(home: Path) -> None:
    code, out = run("outbox", "status", "--home", str(home), "--json")
    assert code == 0
    assert json.loads(out) == {
        "pending": 0,
        "sent": 0,
        "parked": 0,
        "versions": 0,
        "oldest_pending_s": None,
    }
    assert list(home.iterdir()) == []


def test_drain_forwards_to_the_embedded_spool_and_reports(home: Path) -> None:
    outbox = outbox_in(home)
    for rev in range(2):
        outbox.append(make_record("room_a", revision=rev))
    outbox.append(make_record("room_b"))
    code, out = run("outbox", "drain", "--home", str(home), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert (report["sent"], report["failed"], report["pending"]) == (2, 0, 0)
    assert report["queue"].startswith("spool://")
    spool = SpoolTransport((home / "spool").resolve())
    assert len(asyncio.run(spool.consume(10, timeout_s=0.2))) == 2
    _, out = run("outbox", "status", "--home", str(home), "--json")
    assert json.loads(out)["sent"] == 2 and json.loads(out)["versions"] == 3


def test_drain_to_unreachable_queue_exits_non_zero(home: Path) -> None:
    outbox_in(home).append(make_record())
    result = runner.invoke(
        app, ["outbox", "drain", "--home", str(home), "--queue", "redis://127.0.0.1:1/0?stream=x"]
    )
    assert isinstance(result.exception, CommandFailed)
    assert "could not be sent" in str(result.exception)


def test_replay_purge_and_export(home: Path) -> None:
    outbox = outbox_in(home)
    big = big_record(40_000)
    outbox.append(big)
    outbox.append(make_record("room_x"))
    code, _ = run(
        "outbox", "drain", "--home", str(home), "--queue", f"spool://{home / 'q'}?max_bytes=4096"
    )
    assert code == 0
    _, out = run("outbox", "export", "--home", str(home), "--state", "parked", "--json")
    (line,) = out.splitlines()
    assert json.loads(line)["record_id"] == big.record_id
    _, out = run("outbox", "export", "--home", str(home))
    assert "too large for spool" in out
    code, out = run("outbox", "replay", "--home", str(home), "--json")
    assert (code, json.loads(out)) == (0, {"requeued": 1})
    code, out = run("outbox", "purge", "--home", str(home), "--older-than", "0s", "--json")
    assert json.loads(out)["removed"] == {"sent": 1, "superseded": 0, "parked": 0}
    bad = runner.invoke(app, ["outbox", "purge", "--home", str(home), "--older-than", "soon"])
    assert isinstance(bad.exception, CommandFailed) and "soon" in str(bad.exception)


def test_replay_of_unknown_record_fails_clearly(home: Path) -> None:
    outbox_in(home).append(make_record())
    result = runner.invoke(app, ["outbox", "replay", "--home", str(home), "--record-id", "nope"])
    assert isinstance(result.exception, CommandFailed)
    assert "record nope is not parked" in str(result.exception)


def test_doctor_reports_each_part_and_fails_on_a_dead_queue(home: Path) -> None:
    outbox_in(home).append(make_record())
    code, out = run("doctor", "--home", str(home), "--json")
    assert code == 0, out
    checks = {c["part"]: c for c in json.loads(out)["checks"]}
    assert checks["outbox"]["detail"].endswith("(1 pending, 0 parked)")
    assert checks["queue"]["status"] == "ok" and checks["warehouse"]["status"] == "ok"
    assert checks["destinations"]["detail"] == "none configured"
    code, out = run("doctor", "--home", str(home), "--queue", "redis://:pw@127.0.0.1:1/0")
    assert code == 1
    assert "FAIL queue" in out and "is Redis running" in out and "pw" not in out
