"""The service as a process: CLI summary, SIGTERM, single DuckDB writer, reanalyze, health."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

from signalroom.analyzers import default_analyzers
from signalroom.config import ServiceSettings
from signalroom.destinations.warehouse import open_warehouse
from signalroom.service import Service
from signalroom.service.health import HealthServer
from signalroom.transports.base import OutgoingMessage
from signalroom.transports.registry import open_transport
from tests.service.conftest import publish, record_body
from tests.waiting import async_wait_for, wait_for

#: ``signalroom`` itself, run by this interpreter.
MAIN_CLI = [sys.executable, "-c", "from signalroom.cli import main; main()"]
ENV = {**os.environ, "SIGNALROOM_SERVICE__IDLE_S": "0.5", "SIGNALROOM_SERVICE__POLL_S": "0.1"}


def service_cmd(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "signalroom.service", "--home", str(home), *args]


async def fill_spool(url: str, seed: dict[str, Any], n: int) -> None:
    transport = open_transport(url)
    try:
        await transport.publish(
            [OutgoingMessage(f"m{i}", record_body(seed, session_id=f"s{i}")) for i in range(n)]
        )
    finally:
        await transport.close()


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout_s: float = 60) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not seen; stderr so far: {''.join(seen)[-2000:]}")


def test_until_idle_drains_the_embedded_spool_and_prints_json(
    home: Path, seed_record_dict: dict[str, Any]
) -> None:
    asyncio.run(fill_spool(f"spool://{(home / 'spool').resolve()}", seed_record_dict, 4))
    done = subprocess.run(
        service_cmd(home, "--until-idle", "--json"), env=ENV, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["processed"] == 4 and summary["applied"] == 4 and summary["dead_lettered"] == 0
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM session_facts").fetchone() == (4,)
    log_lines = (home / "logs" / "service.log").read_text().splitlines()
    assert any(json.loads(line)["event"].startswith("service stopped") for line in log_lines)


def test_sigterm_stops_the_service_with_its_summary(
    home: Path, seed_record_dict: dict[str, Any]
) -> None:
    spool = f"spool://{(home / 'spool').resolve()}"
    asyncio.run(fill_spool(spool, seed_record_dict, 3))
    proc = subprocess.Popen(
        service_cmd(home, "--health-port", "0", "--json"), env=ENV, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        port = json.loads(wait_for_line(proc, "service started"))["fields"]["health_port"]
        wait_for(lambda: _health(port).get("applied") == 3, "the service to apply 3 records")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)  # a deadline for a hang, not a speed check
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert json.loads(out)["applied"] == 3


def _health(port: int) -> dict[str, Any]:
    try:
        body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
    except httpx.HTTPError:
        return {}
    return body


def test_second_service_on_one_duckdb_file_is_refused(home: Path) -> None:
    first = subprocess.Popen(
        service_cmd(home, "--health-port", "0"), env=ENV, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_line(first, "service started")
        second = subprocess.run(
            service_cmd(home, "--health-port", "0"), env=ENV, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=15)
    assert second.returncode == 1
    message = " ".join(second.stderr.split())
    path = (home / "warehouse.duckdb").resolve()
    assert f"another signalroom service is writing {path} (pid {first.pid})" in message
    assert "DuckDB allows one writer — use PostgreSQL to run several" in message
    assert "Traceback" not in second.stderr


def test_reanalyze_applies_a_changed_rubric_to_stored_calls(
    home: Path, seed_record_dict: dict[str, Any]
) -> None:
    asyncio.run(fill_spool(f"spool://{(home / 'spool').resolve()}", seed_record_dict, 2))
    subprocess.run(service_cmd(home, "--until-idle"), env=ENV, check=True, capture_output=True)
    (home / "signalroom.toml").write_text("[analyzers.lead_score.timeline]\nhigh = 0\n")
    done = subprocess.run(
        [*MAIN_CLI, "service", "reanalyze", "--home", str(home), "--json"],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["records"] == 2 and result["updated"] == 2
    new_version = result["versions"]["lead_score"]
    assert new_version.startswith("1.0+")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            "SELECT a.version, f.score FROM analysis a JOIN session_facts f USING (record_id) "
            "WHERE a.analyzer = 'lead_score'"
        ).fetchall()
    assert rows == [(new_version, 54.0), (new_version, 54.0)]  # 74 minus the 20 urgency points


async def test_healthz_and_metrics(tmp_path: Path, seed_record_dict: dict[str, Any]) -> None:
    from signalroom.transports.memory import MemoryTransport

    queue = MemoryTransport(f"health-{tmp_path.name}")
    warehouse = open_warehouse(f"duckdb://{tmp_path / 'w.duckdb'}")
    await publish(queue, record_body(seed_record_dict), b"garbage")
    service = Service(queue, warehouse, default_analyzers(), settings=ServiceSettings(poll_s=0.05))
    health = HealthServer(service.metrics, service.status, port=0)
    port = await health.start()
    runner = asyncio.create_task(service.run())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await async_wait_for(
                lambda: service.stats.processed and service.stats.dead_lettered,
                "one record applied and one dead-lettered",
            )
            healthz = await client.get("/healthz")
            metrics = (await client.get("/metrics")).text
            service.request_stop()
            await asyncio.wait_for(runner, 5)
            stopped = await client.get("/healthz")
    finally:
        await health.stop()
    assert healthz.status_code == 200
    assert healthz.json()["status"] == "ok" and healthz.json()["applied"] == 1
    assert stopped.status_code == 503
    assert 'signalroom_service_processed_total{result="applied"} 1.0' in metrics
    assert 'signalroom_service_dead_lettered_total{error="InvalidRecordError"} 1.0' in metrics
    assert 'signalroom_destination_latency_seconds_count{destination="warehouse"} 1.0' in metrics
    assert "signalroom_service_record_lag_seconds" in metrics
    assert "signalroom_service_queue_lag_seconds" in metrics


def test_main_cli_runs_service_until_idle(home: Path) -> None:
    done = subprocess.run(
        [*MAIN_CLI, "service", "--until-idle", "--json", "--home", str(home)],
        env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["processed"] == 0
