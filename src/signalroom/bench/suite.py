"""Every benchmark of ``signalroom bench``, each measured beside its baseline in the same run.

A benchmark is a plain callable ``(BenchContext) -> list[BenchResult]``; the runner calls them
in order and reports the ones that crash as missing, so a missing figure fails the command.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from signalroom.bench.result import BenchContext, BenchResult

Bench = Callable[[BenchContext], list[BenchResult]]

#: Every name the CLI contract promises; a run that lacks one fails.
EXPECTED = (
    "detect_p50_us",
    "detect_p99_us",
    "regex_floor_us",
    "recorder_event_p99_us",
    "recorder_turn_overhead_us",
    "session_state_bytes",
    "session_end_export_p99_ms",
    "forward_records_per_s",
    "service_sessions_per_s",
    "service_scaleout_2x",
    "dashboard_overview_ms_1m",
    "record_bytes",
    "redact_p99_us",
)


def _dev_texts() -> list[str]:
    data = resources.files("signalroom.bench").joinpath("data/utterances.jsonl").read_text()
    return [json.loads(line)["text"] for line in data.splitlines() if line.strip()]


def signals(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.signals import bench_detect

    figures = bench_detect(_dev_texts(), repeat=20 if ctx.quick else 200)
    floor = figures["regex_floor_us"]
    return [
        BenchResult(
            "detect_p50_us", figures["detect_p50_us"], "us", baseline=floor,
            goal="reported", note="baseline: regex_floor_us",
        ),
        BenchResult(
            "detect_p99_us", figures["detect_p99_us"], "us", baseline=floor,
            goal="<= 30 us and <= 5x the floor",
            note="utterances of the signal development set; baseline: regex_floor_us",
        ),
        BenchResult(
            "regex_floor_us", floor, "us", goal="reported",
            note="one finditer pass of one alternation of every vocabulary term, digit run "
            "and number word, over the same texts",
        ),
    ]  # fmt: skip


def recorder(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.recorder import (
        bench_recorder_event,
        bench_session_state_bytes,
        bench_turn_overhead,
    )

    home = ctx.workdir / "recorder"
    event = bench_recorder_event(30, home=home)
    overhead = bench_turn_overhead(30, repeats=3 if ctx.quick else 9, home=home)
    state = bench_session_state_bytes(30, home=home)
    return [
        BenchResult(
            "recorder_event_p99_us", event["recorder_event_p99_us"], "us",
            goal="<= 50 us", note="handler cost per session event on a real AgentSession",
        ),
        BenchResult(
            "recorder_turn_overhead_us",
            max(overhead["recorder_turn_overhead_us"], overhead["recorder_handler_us_per_turn"]),
            "us", baseline=overhead["baseline"], goal="<= 100 us",
            note="added wall time per scripted turn with the recorder attached; baseline: the "
            "turn without it (the larger of the wall-time difference and the summed handler "
            "time, so machine noise cannot report less than the handlers cost)",
        ),
        BenchResult(
            "session_state_bytes", state["session_state_bytes"], "bytes", goal="<= 8192",
            note="tracemalloc of the recorder's retained state, 30 turns, 4 tool calls, "
            "no transcript",
        ),
    ]  # fmt: skip


def export(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.forward import bench_export

    figures = bench_export(ctx.workdir, n=200 if ctx.quick else 1_000)
    return [
        BenchResult(
            "session_end_export_p99_ms", figures["session_end_export_p99_ms"], "ms",
            baseline=figures["bare_sqlite_insert_p99_ms"], goal="<= 5 ms and <= 1.5x baseline",
            note="final record appended durably to the outbox; baseline: bare SQLite "
            "insert+commit of the same bytes, same settings",
        )
    ]  # fmt: skip


def forward(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.forward import bench_forward

    figures = asyncio.run(bench_forward(ctx.redis_url, n=2_000 if ctx.quick else 10_000))
    return [
        BenchResult(
            "forward_records_per_s", figures["forward_records_per_s"], "records/s",
            baseline=figures["raw_xadd_records_per_s"], goal="ratio >= 0.5",
            note="outbox → Redis Streams; baseline: raw pipelined XADD of the same payloads",
        )
    ]  # fmt: skip


def service(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.service import bench

    return bench(ctx)


def dashboard(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.dashboard import bench_overview

    figures = bench_overview(1_000_000, ctx.workdir, runs=3 if ctx.quick else 7)
    return [
        BenchResult(
            "dashboard_overview_ms_1m", figures["dashboard_overview_ms_1m"], "ms",
            goal="<= 300 ms", note="all overview queries, median, DuckDB, 1,000,000 sessions",
        )
    ]  # fmt: skip


def record_size(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.record_size import bench_record_bytes

    figures = bench_record_bytes(ctx.workdir / "record")
    return [
        BenchResult(
            "record_bytes", figures["record_bytes"], "bytes",
            baseline=figures["livekit_report_bytes"], goal="reported",
            note="JSON of a typical record; baseline: LiveKit's session report "
            "(SessionReport.to_dict()) of the same call",
        )
    ]  # fmt: skip


def privacy(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.privacy import bench_redact

    return bench_redact(ctx)


SUITE: tuple[tuple[str, Bench], ...] = (
    ("signal detection", signals),
    ("recorder", recorder),
    ("session-end export", export),
    ("privacy redaction", privacy),
    ("record size", record_size),
    ("forwarding", forward),
    ("service", service),
    ("dashboard", dashboard),
)


def default_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="signalroom-bench-"))
