"""Service throughput: Redis → every default (non-LLM) analyzer → warehouse, per process.

``bench_service`` compares the service with a bare consume-and-ack loop over the same queue (the
floor any consumer pays for the broker); ``bench_scaleout`` runs one and then two service
processes on one Redis stream with a PostgreSQL warehouse and reports the speed-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.bench.result import BenchContext, BenchResult
from signalroom.record import SessionRecord
from signalroom.transports.base import OutgoingMessage, Transport
from signalroom.transports.envelope import encode_record
from signalroom.transports.registry import open_transport

_INDUSTRIES = ["legal", "finance", "healthcare", "real_estate", "technology", "retail"]
_USER = [
    "hi, I run operations at a {industry} firm and we are drowning in paperwork",
    "we're a team of {team} and we send maybe {volume} contracts a month",
    "how does the salesforce integration work? we also use google drive",
    "that sounds great, honestly the current tool is slow and frustrating",
    "what does pricing look like for a team our size?",
    "we need something in place by the end of the month",
    "can we book a demo for thursday afternoon?",
    "perfect, thanks so much for your help",
]
_AGENT = "Thanks, that helps. Could you tell me a bit more about how your team works today?"


def synthetic_record(i: int, *, revision: int = 1, turns: int = len(_USER)) -> SessionRecord:
    """A realistic finished call: transcript, signals with evidence, tools, usage, latencies.

    ``turns`` caller turns (each answered by the agent) cycle through a typical discovery call;
    longer calls last longer (20 s a turn beyond three minutes).
    """
    start = datetime(2025, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=7 * i)
    industry = _INDUSTRIES[i % len(_INDUSTRIES)]
    team, volume = 3 + i % 40, 50 + (i * 37) % 900
    duration = max(180.0, 20.0 * turns + 20.0)
    transcript: list[dict[str, Any]] = []
    for n in range(turns):
        text = _USER[n % len(_USER)]
        at = start + timedelta(seconds=20 * n)
        transcript.append(
            {"role": "user", "text": text.format(industry=industry, team=team, volume=volume),
             "at": at.isoformat(), "turn_index": n}
        )  # fmt: skip
        transcript.append({"role": "assistant", "text": _AGENT, "turn_index": n})
    booked = i % 3 == 0
    return SessionRecord.model_validate(
        {
            "session_id": f"bench-{i}",
            "record_id": f"bench-{i:08d}",
            "revision": revision,
            "start_time": start,
            "end_time": start + timedelta(seconds=duration),
            "duration_seconds": duration,
            "agent_name": "signalroom-sales",
            "user_turns": turns,
            "agent_turns": turns,
            "discovered_signals": {
                "team_size": team,
                "monthly_volume": volume,
                "integration_needs": ["salesforce", "google_drive"],
                "urgency": ["high", "medium", "low"][i % 3],
                "industry": industry,
            },
            "signal_evidence": [
                {"field": "industry", "value": industry, "turn_index": 0, "span": industry},
                {"field": "team_size", "value": team, "turn_index": 1, "span": f"team of {team}"},
                {"field": "monthly_volume", "value": volume, "turn_index": 1},
            ],
            "tool_calls": [
                {"tool": "search_knowledge", "timestamp": start + timedelta(seconds=45),
                 "query": "salesforce integration", "results_found": True, "total_results": 3,
                 "duration_ms": 12.5},
                {"tool": "book_sales_meeting", "timestamp": start + timedelta(seconds=150),
                 "customer_name": "Jane Doe", "success": booked, "duration_ms": 80.0},
            ],
            "usage": [
                {"kind": "llm", "provider": "openai", "model": "gpt-4.1-mini",
                 "prompt_tokens": 4000 + i % 500, "completion_tokens": 600, "cached_tokens": 1024},
                {"kind": "stt", "provider": "deepgram", "model": "nova-3", "audio_seconds": 95.0},
                {"kind": "tts", "provider": "cartesia", "model": "sonic-2", "characters": 1400},
            ],
            "turns": [
                {"turn_id": f"t{n}", "index": n, "e2e_latency_ms": 700.0 + (i * n) % 400,
                 "llm_ttft_ms": 300.0, "tts_ttfb_ms": 150.0, "end_of_turn_delay_ms": 200.0}
                for n in range(turns)
            ],
            "transcript": transcript,
        }
    )  # fmt: skip


_SERVICE = [sys.executable, "-m", "signalroom.service", "--until-idle", "--json"]


def stream_url(redis_url: str, stream: str) -> str:
    return f"{redis_url}{'&' if '?' in redis_url else '?'}stream={stream}"


async def _publish(transport: Transport, n: int, offset: int = 0) -> None:
    bodies = [encode_record(synthetic_record(offset + i)) for i in range(n)]
    for start in range(0, n, 500):
        chunk = bodies[start : start + 500]
        await transport.publish(
            [OutgoingMessage(f"m{start + j}", body) for j, body in enumerate(chunk)]
        )


async def _drop_stream(redis_url: str, stream: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url.split("?", 1)[0])
    try:
        await client.delete(stream, f"{stream}.dlq")
    finally:
        await client.aclose()


async def _bare_loop(url: str, n: int, batch: int) -> float:
    transport = open_transport(url)
    try:
        done = 0
        started = time.perf_counter()
        while done < n:
            messages = await transport.consume(batch, 1.0)
            if not messages:
                break
            for m in messages:
                await transport.ack(m)
            done += len(messages)
        return done / (time.perf_counter() - started)
    finally:
        await transport.close()


async def _service_loop(url: str, warehouse_url: str, n: int) -> float:
    from signalroom.analyzers import default_analyzers
    from signalroom.config import ServiceSettings
    from signalroom.destinations.warehouse import open_warehouse
    from signalroom.service.consumer import Service

    transport = open_transport(url)
    warehouse = open_warehouse(warehouse_url)
    warehouse.acquire_writer_lock()
    settings = ServiceSettings(idle_s=0.5, poll_s=0.2)
    service = Service(transport, warehouse, default_analyzers(), settings=settings)
    finished: list[float] = []

    async def watch() -> None:
        while service.stats.processed < n:
            await asyncio.sleep(0.005)
        finished.append(time.perf_counter())
        service.request_stop()

    try:
        started = time.perf_counter()
        watcher = asyncio.create_task(watch())
        await service.run(until_idle=True)
        watcher.cancel()
        end = finished[0] if finished else time.perf_counter()
        return service.stats.processed / (end - started)
    finally:
        await transport.close()
        await warehouse.close()
        warehouse.release_writer_lock()


def bench_service(redis_url: str, n: int = 5_000) -> dict[str, float]:
    """Sessions/s of one service process (Redis → analyzers → DuckDB) and of a bare loop."""

    async def main() -> dict[str, float]:
        tag = uuid.uuid4().hex[:8]
        bare, served = f"sr-bench-bare-{tag}", f"sr-bench-svc-{tag}"
        try:
            publisher = open_transport(stream_url(redis_url, bare))
            await _publish(publisher, n)
            await publisher.close()
            baseline = await _bare_loop(stream_url(redis_url, bare), n, 64)
            publisher = open_transport(stream_url(redis_url, served))
            await _publish(publisher, n)
            await publisher.close()
            with tempfile.TemporaryDirectory() as tmp:
                rate = await _service_loop(
                    stream_url(redis_url, served), f"duckdb://{Path(tmp) / 'w.duckdb'}", n
                )
            return {"service_sessions_per_s": rate, "bare_consume_ack_per_s": baseline}
        finally:
            await _drop_stream(redis_url, bare)
            await _drop_stream(redis_url, served)

    return asyncio.run(main())


def _scaleout_run(redis_url: str, pg_url: str, n: int, processes: int) -> float:
    """Sessions/s of ``processes`` services draining ``n`` records into a fresh database."""
    import psycopg

    tag = uuid.uuid4().hex[:8]
    stream, db = f"sr-bench-scale-{tag}", f"sr_bench_{tag}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {db}")  # name is ours: hex only
    db_url = pg_url.rsplit("/", 1)[0] + "/" + db
    url = stream_url(redis_url, stream)
    try:

        async def publish() -> None:
            transport = open_transport(url)
            await _publish(transport, n)
            await transport.close()

        asyncio.run(publish())
        # Warm the schema once so neither process pays for the migration in the measurement.
        from signalroom.destinations.postgres import PostgresWarehouse

        warm = PostgresWarehouse(db_url)
        warm.count("sessions")
        asyncio.run(warm.close())
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "SIGNALROOM_SERVICE__IDLE_S": "1.0"}
            cmd = [*_SERVICE, "--queue", url, "--warehouse", db_url]
            procs = [
                subprocess.Popen(
                    [*cmd, "--home", str(Path(tmp) / f"h{k}")],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
                for k in range(processes)
            ]
            stats = [json.loads(proc.communicate(timeout=600)[0]) for proc in procs]
        # From the first message any process took to the last batch any process finished:
        # process start-up (imports) is left out, so one and two processes compare fairly.
        active = [s for s in stats if s["first_message_at"] is not None]
        span = max(s["last_done_at"] for s in active) - min(s["first_message_at"] for s in active)
        return float(sum(s["processed"] for s in stats) / span)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        asyncio.run(_drop_stream(redis_url, stream))


def bench_scaleout(redis_url: str, pg_url: str, n: int = 4_000) -> dict[str, float]:
    """Throughput of two service processes over one (Redis → PostgreSQL)."""
    one = _scaleout_run(redis_url, pg_url, n, 1)
    two = _scaleout_run(redis_url, pg_url, n, 2)
    return {"service_scaleout_2x": two / one, "one_process_per_s": one, "two_processes_per_s": two}


def bench(ctx: BenchContext) -> list[BenchResult]:
    n = 1_000 if ctx.quick else 5_000
    svc = bench_service(ctx.redis_url, n)
    scale = bench_scaleout(ctx.redis_url, ctx.postgres_url, n)
    return [
        BenchResult(
            "service_sessions_per_s",
            svc["service_sessions_per_s"],
            "sessions/s",
            baseline=svc["bare_consume_ack_per_s"],
            goal=">= 2000 sessions/s per process",
            note="Redis → default analyzers → DuckDB; baseline: bare consume-and-ack loop",
        ),
        BenchResult(
            "service_scaleout_2x",
            scale["service_scaleout_2x"],
            "x",
            note=f"two processes {scale['two_processes_per_s']:.0f}/s over one "
            f"{scale['one_process_per_s']:.0f}/s (Redis → PostgreSQL)",
        ),
    ]
