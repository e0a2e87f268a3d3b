"""Fault tests against a redis-server of our own: outage, killed forwarder, bad payloads.

Figures (sent, lost, duplicated, parked) are printed with ``-s`` and listed in
docs/reliability.md.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from signalroom.config import OutboxSettings
from signalroom.outbox import Forwarder, Outbox, forward
from signalroom.transports.redis_streams import from_url
from tests.outbox.records import big_record, make_record

pytestmark = [pytest.mark.slow, pytest.mark.redis]

ROOT = Path(__file__).parents[2]


class RedisServer:
    """A throwaway redis-server (no persistence) on a free port."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stream_ids(self, stream: str) -> Counter[str]:
        client = redis.Redis(port=self.port)
        return Counter(f[b"id"].decode() for _, f in client.xrange(stream))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    srv = RedisServer(tmp_path)
    srv.start()
    yield srv
    srv.kill()


def wait_until(predicate, timeout_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_broker_down_while_2000_records_are_appended(server: RedisServer, tmp_path: Path) -> None:
    # How long an append takes is `signalroom bench` (session_end_export_p99_ms); here: appends
    # never fail while the broker is down, the forwarder sees the outage, and nothing is lost.
    # Enough attempts that no record is parked however long 2000 appends take on a busy
    # machine (parking after max_attempts is tested in test_forward.py).
    settings = OutboxSettings(forward_interval_s=0.1, max_backoff_s=2.0, max_attempts=10_000)
    outbox = Outbox(tmp_path / "outbox.sqlite", settings)
    forwarder = Forwarder(outbox, f"{server.url}?stream=outage")
    forwarder.start()
    records = [make_record() for _ in range(2000)]
    try:
        server.kill()
        for record in records:
            outbox.append(record)  # must not raise or wait on the broker
            forwarder.wake()
        assert wait_until(lambda: forwarder.totals.failed > 0, 60), "the outage was never seen"
        assert outbox.status().pending > 0
        server.start()
        assert wait_until(lambda: outbox.status().pending == 0, 120)
    finally:
        forwarder.stop(timeout=30)
    ids = server.stream_ids("outage")
    status = outbox.status()
    lost = len({r.record_id for r in records} - set(ids))
    assert (lost, status.parked, status.sent) == (0, 0, 2000)
    assert forwarder.totals.sent >= 2000


_FORWARDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from signalroom.config import OutboxSettings
    from signalroom.outbox import Forwarder, Outbox, forward

    outbox = Outbox(Path(sys.argv[1]), OutboxSettings(batch_size=50, forward_interval_s=0.05))
    forwarder = Forwarder(outbox, sys.argv[2])
    forwarder.start()
    print("started", flush=True)
    time.sleep(120)
    """
)


async def test_forwarding_process_killed_mid_batch(server: RedisServer, tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path, OutboxSettings(synchronous="NORMAL"))
    records = [make_record() for _ in range(3000)]
    for record in records:
        outbox.append(record)
    url = f"{server.url}?stream=killed"
    child = subprocess.Popen(
        [sys.executable, "-c", _FORWARDER, str(path), url], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        client = redis.Redis(port=server.port)
        assert wait_until(lambda: client.exists("killed") and client.xlen("killed") >= 800, 60)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        at_kill = client.xlen("killed")
    finally:
        if child.poll() is None:
            child.kill()
    transport = from_url(url)
    try:
        result = await forward(outbox, transport)
    finally:
        await transport.close()
    ids = server.stream_ids("killed")
    lost = len({r.record_id for r in records} - set(ids))
    duplicated = sum(ids.values()) - len(ids)
    print(
        f"\nSIGKILL after {at_kill} entries: resumed and sent {result.sent}, lost {lost}, "
        f"duplicated {duplicated}, parked {result.parked}"
    )
    assert lost == 0 and result.parked == 0 and outbox.status().sent == 3000
    assert duplicated <= 50  # at most the one batch in flight when the process died


async def test_bad_payloads_are_parked_with_reasons(server: RedisServer, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite")
    good = make_record()
    outbox.append(good)
    outbox.append(make_record(schema_version="3.1"))
    outbox.append(big_record(60_000))
    damaged = make_record()
    outbox.append(damaged)
    outbox.execute("UPDATE payloads SET payload = x'00ff' WHERE seq = 4")
    transport = from_url(f"{server.url}?stream=bad&max_bytes=16384")
    try:
        result = await forward(outbox, transport)
    finally:
        await transport.close()
    reasons = [r["last_error"] for r in outbox.newest_versions("parked")]
    print(f"\nbad payloads: sent {result.sent}, parked {result.parked}: {reasons}")
    # the damaged payload goes on: the service dead-letters it with the reason (tests/service)
    assert list(server.stream_ids("bad")) == [good.record_id, damaged.record_id]
    assert len(reasons) == 2
    assert reasons[0] == "schema_version '3.1' has a major this build does not know"
    assert reasons[1].startswith("too large for redis: ") and reasons[1].endswith("> 16 KB")
