"""Outbox figures: the session-end append and forwarding, each against its bare baseline.

* ``bench_export``: p99 of ``Outbox.append(final_record)`` (encode, then one INSERT into the
  ``payloads`` journal, in one transaction) against a bare SQLite insert+commit of the
  same envelope bytes with the same pragmas (WAL, same ``synchronous``). Goal: ratio ≤ 1.5.
* ``bench_forward``: records/s from the outbox to a Redis stream (read, size-check, publish,
  mark sent) against raw pipelined ``XADD`` of the same payloads in batches of the same size,
  the two interleaved in chunks of ten batches.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from signalroom.bench.stats import percentile
from signalroom.config import OutboxSettings
from signalroom.outbox.sender import forward
from signalroom.outbox.store import Outbox
from signalroom.record import SessionRecord
from signalroom.transports.envelope import encode_record


def typical_record(session_id: str = "room_bench") -> SessionRecord:
    """A final record shaped like a 6-minute call: 12 turns, tool calls, usage, transcript."""
    start = datetime(2025, 1, 28, 10, 30, tzinfo=UTC)
    turns = 12
    user_lines = [
        "Hi, we're a legal team of eight people looking at document automation.",
        "We process about 200 contracts a month and need Salesforce and an API.",
        "How do I create templates for our engagement letters?",
        "This is urgent, we want something live before the end of the quarter.",
    ]
    transcript = []
    for i in range(turns):
        at = start + timedelta(seconds=25 * i)
        transcript.append({"role": "user", "text": user_lines[i % 4], "at": at, "turn_index": i})
        transcript.append(
            {
                "role": "assistant",
                "text": "Thanks, that helps. Templates live under Settings, and our Salesforce "
                "integration syncs signed contracts back to the opportunity automatically.",
                "at": at + timedelta(seconds=2),
                "turn_index": i,
            }
        )
    return SessionRecord.model_validate(
        {
            "session_id": session_id,
            "start_time": start,
            "end_time": start + timedelta(seconds=330),
            "duration_seconds": 330.0,
            "revision": 40,
            "complete": True,
            "agent_name": "signalroom-sales",
            "room": session_id,
            "close_reason": "participant_disconnected",
            "discovered_signals": {
                "team_size": 8,
                "monthly_volume": 200,
                "integration_needs": ["salesforce", "api"],
                "urgency": "high",
                "industry": "legal",
            },
            "tool_calls": [
                {
                    "tool": "search_knowledge",
                    "query": "How do I create templates?",
                    "timestamp": start + timedelta(seconds=75),
                    "results_found": True,
                    "total_results": 5,
                    "duration_ms": 42.0,
                },
                {
                    "tool": "book_sales_meeting",
                    "customer_name": "John Smith",
                    "customer_email": "john@acme.com",
                    "timestamp": start + timedelta(seconds=290),
                    "success": True,
                    "duration_ms": 310.0,
                },
            ],
            "metrics_summary": {
                "llm_tokens": 2500,
                "stt_audio_seconds": 120.5,
                "tts_characters": 850,
                "llm_prompt_tokens": 2100,
                "llm_completion_tokens": 400,
            },
            "user_turns": turns,
            "agent_turns": turns,
            "conversation_state": "wrap_up",
            "signal_evidence": [
                {"field": "team_size", "value": 8, "turn_index": 0, "span": "team of eight"},
                {"field": "industry", "value": "legal", "turn_index": 0, "span": "legal team"},
                {"field": "urgency", "value": "high", "turn_index": 3, "span": "urgent"},
            ],
            "usage": [
                {"kind": "llm", "provider": "openai", "model": "gpt-4.1-mini", "requests": 12},
                {"kind": "stt", "provider": "deepgram", "model": "nova-3", "audio_seconds": 120.5},
                {"kind": "tts", "provider": "cartesia", "model": "sonic-2", "characters": 850},
            ],
            "turns": [
                {"turn_id": f"t{i}", "index": i, "e2e_latency_ms": 820.0 + i, "llm_ttft_ms": 310.0}
                for i in range(turns)
            ],
            "transcript": transcript,
        }
    )


def bench_export(
    tmpdir: Path, n: int = 300, settings: OutboxSettings | None = None
) -> dict[str, Any]:
    """p99 ms of the session-end append (encode + one INSERT, one commit) vs a bare
    insert+commit of the same bytes."""
    settings = settings or OutboxSettings()
    base = typical_record()
    records = [base.model_copy(update={"record_id": str(uuid.uuid4())}) for _ in range(n)]
    payloads = [encode_record(r) for r in records]
    outbox = Outbox(tmpdir / f"bench-outbox-{uuid.uuid4().hex[:6]}.sqlite", settings)
    outbox.append(records[0].model_copy(update={"record_id": "warm-up"}))
    bare = tmpdir / f"bench-bare-{uuid.uuid4().hex[:6]}.sqlite"
    conn = sqlite3.connect(bare, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={settings.synchronous}")
    conn.execute("CREATE TABLE t (id TEXT, payload BLOB)")
    # Interleaved, so disk noise from other processes hits both series alike.
    append_ms, bare_ms = [], []
    for record, payload in zip(records, payloads, strict=True):
        started = time.perf_counter()
        outbox.append(record)
        append_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?)", (record.record_id, payload))
        conn.execute("COMMIT")
        bare_ms.append((time.perf_counter() - started) * 1000)
    conn.close()
    if outbox.error_count:
        raise RuntimeError(f"outbox append failed during the benchmark: {dict(outbox.errors)}")
    outbox.close()
    return {
        "session_end_export_p99_ms": percentile(append_ms, 99),
        "session_end_export_p50_ms": percentile(append_ms, 50),
        "bare_sqlite_insert_p99_ms": percentile(bare_ms, 99),
        "bare_sqlite_insert_p50_ms": percentile(bare_ms, 50),
        "envelope_bytes": len(payloads[0]),
        "synchronous": settings.synchronous,
        "samples": n,
    }


async def bench_forward(redis_url: str, n: int = 5000, batch_size: int = 100) -> dict[str, Any]:
    """Records/s from outbox to a Redis stream vs raw pipelined XADD of the same payloads."""
    import redis.asyncio as aioredis

    from signalroom.transports.redis_streams import from_url

    stream = f"bench-forward-{uuid.uuid4().hex[:8]}"
    raw_stream = f"{stream}-raw"
    client = aioredis.Redis.from_url(redis_url.split("?", 1)[0])
    transport = from_url(f"{redis_url.split('?', 1)[0]}?stream={stream}")
    base = typical_record()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outbox = Outbox(Path(tmp) / "outbox.sqlite", OutboxSettings(batch_size=batch_size))
            for _ in range(n):
                outbox.append(base.model_copy(update={"record_id": str(uuid.uuid4())}))
            payloads = [(row["record_id"], row["payload"]) for row in outbox.newest_versions()]
            # Interleaved in chunks of ten batches, so load from other processes hits both
            # series alike (a forward pass then the raw XADD of the same number of payloads).
            chunk = 10 * batch_size
            forward_s = raw_s = 0.0
            sent = 0
            for start in range(0, n, chunk):
                started = time.perf_counter()
                result = await forward(outbox, transport, max_batches=10)
                forward_s += time.perf_counter() - started
                sent += result.sent
                started = time.perf_counter()
                for i in range(start, min(n, start + chunk), batch_size):
                    pipe = client.pipeline(transaction=False)
                    for record_id, payload in payloads[i : i + batch_size]:
                        pipe.xadd(raw_stream, {b"id": record_id, b"body": payload})
                    await pipe.execute()
                raw_s += time.perf_counter() - started
            outbox.close()
        if sent != n:
            raise RuntimeError(f"forward sent {sent} of {n}: {result.last_error}")
        return {
            "forward_records_per_s": n / forward_s,
            "raw_xadd_records_per_s": n / raw_s,
            "records": n,
            "batch_size": batch_size,
        }
    finally:
        await client.delete(stream, raw_stream, f"{stream}.dlq")
        await client.aclose()
        await transport.close()
