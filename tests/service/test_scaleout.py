"""Two service processes on one Redis stream and one PostgreSQL warehouse."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from signalroom.transports.base import OutgoingMessage
from signalroom.transports.registry import open_transport
from tests.service.conftest import record_body

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
N = 300


async def _publish(url: str, bodies: list[bytes]) -> None:
    transport = open_transport(url)
    try:
        await transport.publish([OutgoingMessage(f"m{i}", b) for i, b in enumerate(bodies)])
    finally:
        await transport.close()


async def _consumers(stream: str) -> list[dict[str, Any]]:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        (group,) = await client.xinfo_groups(stream)
        found: list[dict[str, Any]] = await client.xinfo_consumers(stream, group["name"])
        return found
    finally:
        await client.aclose()


async def _drop(stream: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        await client.delete(stream, f"{stream}.dlq")
    finally:
        await client.aclose()


def _wait_for_start(proc: subprocess.Popen[str], timeout_s: float = 60.0) -> str:
    """Read the service's log until it says it started; returns what was read."""
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if '"service started"' in line:
            return "".join(seen)
    raise AssertionError("service did not start: " + "".join(seen)[-2000:])


def test_two_processes_split_the_work_without_double_effects(
    tmp_path: Path, pg_url: str, seed_record_dict: dict[str, Any]
) -> None:
    stream = f"sr-test-scale-{uuid.uuid4().hex[:8]}"
    url = f"redis://127.0.0.1:6379/0?stream={stream}"
    # Every record twice: a checkpoint (revision 1, incomplete) and the final one (revision 2),
    # plus a redelivered copy of the final one for a third of them.
    bodies = []
    for i in range(N):
        sid = f"call-{i}"
        bodies.append(record_body(seed_record_dict, session_id=sid, revision=2))
        bodies.append(record_body(seed_record_dict, session_id=sid, revision=1, complete=False))
        if i % 3 == 0:
            bodies.append(record_body(seed_record_dict, session_id=sid, revision=2))
    try:
        # both services are consuming before anything is published, so neither can drain the
        # stream alone while the other is still starting
        env = {**os.environ, "SIGNALROOM_SERVICE__IDLE_S": "3.0",
               "SIGNALROOM_SERVICE__BATCH_SIZE": "50"}  # fmt: skip
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "signalroom.service",
                    "--until-idle",
                    "--json",
                    "--home",
                    str(tmp_path / f"h{k}"),
                    "--queue",
                    url,
                    "--warehouse",
                    pg_url,
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for k in range(2)
        ]
        started = [_wait_for_start(p) for p in procs]
        asyncio.run(_publish(url, bodies))
        outputs = [
            (o, started[i] + e)
            for i, (o, e) in enumerate(p.communicate(timeout=120) for p in procs)
        ]
        assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
        stats = [json.loads(out) for out, _ in outputs]
        consumers = asyncio.run(_consumers(stream))
    finally:
        asyncio.run(_drop(stream))
    assert sum(s["processed"] for s in stats) == len(bodies)
    # Both read from the one consumer group (how Redis splits the messages between them depends
    # on scheduling, so a busy machine may let one take them all: that is not checked).
    assert len(consumers) == 2, consumers
    assert all(c["pending"] == 0 for c in consumers), consumers
    assert sum(s["applied"] for s in stats) + sum(s["skipped_stale"] for s in stats) == len(bodies)
    assert sum(s["dead_lettered"] for s in stats) == 0
    with psycopg.connect(pg_url) as conn:
        sessions = conn.execute(
            "SELECT count(*), count(DISTINCT record_id), min(revision), bool_and(complete) "
            "FROM sessions"
        ).fetchone()
        per_record = conn.execute(
            "SELECT count(*) FROM (SELECT record_id, analyzer, count(*) AS n FROM analysis "
            "GROUP BY record_id, analyzer) x WHERE n = 1"
        ).fetchone()
        analysis = conn.execute("SELECT count(*) FROM analysis").fetchone()
        tool_calls = conn.execute("SELECT count(*) FROM tool_calls").fetchone()
        facts = conn.execute("SELECT count(*) FROM session_facts").fetchone()
    assert sessions == (N, N, 2, True)
    assert analysis == (N * 5,) and per_record == (N * 5,)
    assert tool_calls == (N * 2,) and facts == (N,)
