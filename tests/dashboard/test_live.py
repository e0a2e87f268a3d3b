"""The dashboard reads a DuckDB warehouse while a real ``signalroom service`` writes it."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from signalroom.transports.base import OutgoingMessage
from signalroom.transports.envelope import encode_record
from signalroom.transports.registry import open_transport
from tests.dashboard.records import PERSONAS, build_record
from tests.dashboard.server import dashboard_server, signalroom_cmd

pytestmark = pytest.mark.slow

TOTAL = 36
BATCH = 3


async def _publish_batch(queue_url: str, first: int) -> None:
    transport = open_transport(queue_url)
    start = datetime.now(UTC) - timedelta(hours=2)
    try:
        records = [
            build_record(1000 + i, PERSONAS[i % len(PERSONAS)], start + timedelta(minutes=i))
            for i in range(first, first + BATCH)
        ]
        await transport.publish(
            [OutgoingMessage(id=r.record_id, body=encode_record(r)) for r in records]
        )
    finally:
        await transport.close()


async def test_pages_stay_up_while_the_service_writes(tmp_path: Path):
    home = tmp_path / "home"
    queue_url = f"spool://{tmp_path / 'spool'}"
    warehouse_url = f"duckdb://{tmp_path / 'warehouse.duckdb'}"
    service = subprocess.Popen(
        [
            *signalroom_cmd(),
            "service",
            "--home",
            str(home),
            "--queue",
            queue_url,
            "--warehouse",
            warehouse_url,
            "--health-port",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SIGNALROOM_HOME": str(home)},
    )
    counts: list[int] = []
    try:
        with dashboard_server(warehouse_url, home) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                # One batch at a time, each read back through the pages before the next: the
                # pages are read while the service writes, whatever the machine's speed.
                for first in range(0, TOTAL, BATCH):
                    await _publish_batch(queue_url, first)
                    deadline = asyncio.get_running_loop().time() + 120
                    while True:
                        overview = await client.get("/?days=all")
                        leads = await client.get("/leads")
                        assert overview.status_code == 200, overview.text[:300]
                        assert leads.status_code == 200, leads.text[:300]
                        found = re.search(r'id="kpi-calls">([\d,]+)<', overview.text)
                        counts.append(int(found.group(1).replace(",", "")) if found else 0)
                        if counts[-1] == first + BATCH:
                            break
                        assert service.poll() is None, service.stderr and service.stderr.read()
                        assert asyncio.get_running_loop().time() < deadline, counts
                        await asyncio.sleep(0.05)
    finally:
        service.terminate()
        try:
            service.wait(15)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait(5)
    assert counts[-1] == TOTAL, counts
    assert counts == sorted(counts), counts  # never a step back
    assert set(range(BATCH, TOTAL + 1, BATCH)) <= set(counts), counts  # saw every batch land
