"""The soak command in CI: 300 sessions, two services, a PostgreSQL warehouse, faults at random.

The full run (10,000 sessions) is the same command; its figures are in docs/reliability.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.servers import PostgresDatabase, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def database() -> Iterator[PostgresDatabase]:
    db = PostgresDatabase()
    db.create()
    yield db
    db.drop()


def test_soak_300_sessions_loses_nothing(
    redis_server: RedisServer, database: PostgresDatabase, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "signalroom", "soak", "--sessions", "300", "--services", "2",
            "--queue", redis_server.url, "--warehouse", database.url,
            "--home", str(tmp_path / "home"), "--seed", "11", "--timeout", "90", "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    print("soak:", result)
    assert result["ok"] is True
    assert result["lost"] == 0
    assert result["delivered"] == 300
    assert result["versions_appended"] == 600
    # Every version the outbox appended reached the stream (resends may add more).
    assert result["versions_published"] >= 300
    assert result["malformed_sent"] > 0
    assert result["dead_lettered_malformed"] == result["malformed_sent"]
    assert result["dead_lettered_records"] == 0
    assert {"kill_service", "broker_pause", "malformed_batch"} <= set(result["faults"])
