"""Faults across the pipeline: killed processes, a restarted database, a held DuckDB file, a full
disk. Each test starts and stops what it needs, waits only with a bound, and checks that nothing
was lost (and nothing applied twice). Figures print with ``-s``; docs/reliability.md lists them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from signalroom.bench.soak import synthetic_sessions
from signalroom.record import SessionRecord
from signalroom.transports import open_transport
from signalroom.transports.base import OutgoingMessage
from signalroom.transports.envelope import encode_record
from tests.reliability.servers import PostgresServer, wait_for

pytestmark = pytest.mark.slow


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "signalroom", *args, "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIGNALROOM_HOME": str(home), **(env or {})},
    )


def _log(home: Path) -> str:
    path = home / "logs" / "service.log"
    return path.read_text() if path.exists() else ""


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    return out


def _records(count: int) -> list[SessionRecord]:
    return [final for _, final in synthetic_sessions(count, "fault", seed=3)]


def _fill_spool(url: str, records: list[SessionRecord]) -> None:
    async def publish() -> None:
        spool = open_transport(url)
        for start in range(0, len(records), 500):
            chunk = records[start : start + 500]
            await spool.publish([OutgoingMessage(r.record_id, encode_record(r)) for r in chunk])
        await spool.close()

    asyncio.run(publish())


def _spool_counts(home: Path) -> tuple[int, int, int]:
    """(messages left, of which leased, dead letters) in the home's spool."""
    with sqlite3.connect(home / "spool" / "spool.sqlite", timeout=10) as db:
        left, leased = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(lease IS NOT NULL), 0) FROM messages "
            "WHERE queue = 'records'"
        ).fetchone()
        dead = db.execute("SELECT COUNT(*) FROM messages WHERE queue = 'records.dlq'").fetchone()
    return int(left), int(leased), int(dead[0])


def _duckdb_rows(home: Path) -> list[tuple[str, str, bool]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as db:
        rows = db.execute("SELECT record_id, session_id, complete FROM sessions").fetchall()
    return [(str(a), str(b), bool(c)) for a, b, c in rows]


def test_agent_killed_mid_call_leaves_an_incomplete_record(home: Path) -> None:
    """SIGKILL of the agent process after a checkpoint: the call arrives as complete=false."""
    env = {"SIGNALROOM_OUTBOX__CHECKPOINT_INTERVAL_S": "0.5"}
    demo = _cli(home, "demo", "--pace", "1", "--sessions", "1", "--no-service", env=env)
    outbox = home / "outbox.sqlite"

    def checkpointed() -> bool:
        if not outbox.exists():
            return False
        try:
            with sqlite3.connect(f"file:{outbox}?mode=ro", uri=True, timeout=1) as db:
                return bool(db.execute("SELECT COUNT(*) FROM payloads").fetchone()[0])
        except sqlite3.Error:
            return False

    try:
        wait_for(checkpointed, 90, "the first checkpoint")
    finally:
        demo.send_signal(signal.SIGKILL)
        demo.wait(10)
    assert demo.returncode == -signal.SIGKILL

    drained = json.loads(_finish(_cli(home, "outbox", "drain", "--json")))
    assert drained["sent"] == 1 and drained["pending"] == 0
    _finish(_cli(home, "service", "--until-idle"))
    rows = _duckdb_rows(home)
    print(f"agent killed mid-call: {len(rows)} record, complete={rows[0][2] if rows else None}")
    assert len(rows) == 1
    assert rows[0][2] is False


def test_service_killed_mid_batch_redelivers_and_applies_once(home: Path) -> None:
    """SIGKILL of the service with leased, unacked batches: all redelivered, one row each."""
    url = f"spool://{home / 'spool'}?lease=2"
    (home / "signalroom.toml").write_text(f'queue_url = "{url}"\n')
    records = _records(2000)
    _fill_spool(url, records)
    env = {"SIGNALROOM_SERVICE__BATCH_SIZE": "100", "SIGNALROOM_SERVICE__CONCURRENCY": "2"}
    service = _cli(home, "service", "--health-port", "0", env=env)

    def mid_batch() -> bool:
        left, leased, _ = _spool_counts(home)
        return leased > 0 and left < len(records)

    try:
        wait_for(mid_batch, 60, "the service to ack some and lease more")
    finally:
        service.send_signal(signal.SIGKILL)
        service.wait(10)
    left, leased, _ = _spool_counts(home)
    assert 0 < left < len(records) and leased > 0

    stats = json.loads(_finish(_cli(home, "service", "--until-idle", "--json", env=env)))
    rows = _duckdb_rows(home)
    ids = [r[0] for r in rows]
    print(
        f"service killed mid-batch: {len(records) - left} acked before the kill, {leased} leased "
        f"and redelivered; second run {stats}; {len(ids)} rows, {len(set(ids))} distinct"
    )
    assert len(ids) == len(set(ids)) == len(records)
    assert set(ids) == {r.record_id for r in records}
    assert _spool_counts(home) == (0, 0, 0)


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path / "pg")
    try:
        server.init()
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        said = getattr(exc, "stderr", None) or b""
        pytest.skip(f"cannot create a PostgreSQL cluster here: {exc} {said.decode()[-400:]}")
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        server.stop("immediate")


def _pg_count(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            row = conn.execute("SELECT count(*) FROM sessions").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:
        return -1


@pytest.mark.postgres
def test_postgres_restarted_mid_run_loses_nothing(home: Path, own_postgres: PostgresServer) -> None:
    records = _records(3000)
    url = f"spool://{home / 'spool'}"
    _fill_spool(url, records)
    env = {"SIGNALROOM_SERVICE__BATCH_SIZE": "100"}
    service = _cli(
        home, "service", "--warehouse", own_postgres.url, "--health-port", "0", "--json", env=env
    )
    try:
        wait_for(lambda: _pg_count(own_postgres.url) > 0, 60, "the first batch in PostgreSQL")
        own_postgres.stop("fast")
        before = _spool_counts(home)[0]
        wait_for(lambda: "warehouse write failed" in _log(home), 60, "the outage to be logged")
        own_postgres.start()
        wait_for(lambda: _pg_count(own_postgres.url) == len(records), 90, "every record applied")
    finally:
        service.send_signal(signal.SIGTERM)
    stats = json.loads(_finish(service, 30))
    log = (home / "logs" / "service.log").read_text()
    failures = [json.loads(line)["event"] for line in log.splitlines() if "failed" in line]
    print(
        f"postgres restarted: {before} records still queued at the stop; service {stats}; "
        f"first error logged: {failures[0] if failures else None}"
    )
    assert _pg_count(own_postgres.url) == len(records)
    assert _spool_counts(home) == (0, 0, 0)
    assert stats["dead_lettered"] == 0
    assert failures, "the outage was not logged"
    assert any("warehouse write failed" in f and "postgres" in f.lower() for f in failures)


def test_duckdb_held_by_another_process_is_waited_out(home: Path) -> None:
    records = _records(300)
    _fill_spool(f"spool://{home / 'spool'}", records)
    path = home / "warehouse.duckdb"
    # The holder keeps the file open until its stdin closes: released only once the service
    # has reported the lock, however long the service takes to start.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
         " sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    service = _cli(home, "service", "--until-idle", "--json")
    try:
        wait_for(lambda: "WarehouseLocked" in _log(home), 120, "the lock to be reported")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
    stats = json.loads(_finish(service, 120))
    log = _log(home)
    locked = [json.loads(line)["event"] for line in log.splitlines() if "WarehouseLocked" in line]
    assert locked, "the held file was not reported"
    assert "cannot open" in locked[0] and str(path) in locked[0]
    rows = _duckdb_rows(home)
    assert len(rows) == len({r[0] for r in rows}) == len(records)
    assert stats["dead_lettered"] == 0 and _spool_counts(home) == (0, 0, 0)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.skip(f"mounting a 256 KB tmpfs is not permitted here: {proc.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


async def test_full_disk_under_the_outbox_does_not_stop_the_call(
    home: Path, small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from signalroom.config import load_settings
    from signalroom.outbox import Outbox
    from signalroom.simulate.runner import run_call

    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to the last block
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    (home / "signalroom.toml").write_text(
        f'[outbox]\npath = "{small_disk / "outbox.sqlite"}"\ncheckpoint_interval_s = 0.2\n'
    )
    settings = load_settings(home)
    outbox = Outbox(settings.outbox_path, settings.outbox)
    turns = [
        "Hi, we are a legal team of 12 people.",
        "We need Salesforce integration urgently, about 300 documents a month.",
        "Thanks, that is all for now, bye.",
    ]
    final = await run_call(
        turns, settings=settings, session_id="disk-full", sink=outbox.append, pace_s=0.3
    )
    assert final.complete and final.user_turns == 3  # the call went on to its end
    held = outbox.buffered
    assert held >= 2, "checkpoints and the final record wait in memory"
    assert "disk_full" in outbox.errors or "cannot_open" in outbox.errors, dict(outbox.errors)
    assert any("held in memory" in r.getMessage() for r in caplog.records)

    filler.unlink()
    assert outbox.flush_buffer()
    newest = outbox.newest_versions()
    assert [(r["revision"], bool(r["complete"])) for r in newest] == [(final.revision, True)]
    assert outbox.status().versions == held
    transport = open_transport("memory://disk-full-test")
    result = await outbox.forward(transport)
    outbox.close()
    print(
        f"disk full: {held} versions held in memory, errors {dict(outbox.errors)}, sent {result.sent}"
    )
    assert result.sent == 1 and outbox.status().pending == 0
