"""Every benchmark of ``signalroom bench``, each measured beside its baseline in the same run.

A benchmark is a plain callable ``(BenchContext) -> list[BenchResult]``; the runner calls them
in order and reports the ones that crash as missing, so a missing figure fails the command.
"""

from __future__ import annotations

import asyncio
import dataclasses
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
    "cli_help_ms",
    "detect_once_ms",
    "knowledge_build_ms",
    "knowledge_search_p99_ms",
    "detect_adversarial_100kb_ms",
    "outbox_open_check_ms",
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
            goal="<= 30 us and <= 5x the floor", upper=min(30.0, 5 * floor),
            note="utterances of the signal development set; baseline: regex_floor_us",
        ),
        BenchResult(
            "regex_floor_us", floor, "us", goal="reported",
            note="one finditer pass of one alternation of every vocabulary term, digit run "
            "and number word, over the same texts",
        ),
    ]  # fmt: skip


def adversarial(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.adversarial import bench_adversarial

    figures = bench_adversarial(repeat=1 if ctx.quick else 5)
    return [
        BenchResult(
            "detect_adversarial_100kb_ms", figures["detect_adversarial_100kb_ms"], "ms",
            baseline=figures["word_regex_100kb_ms"], goal="<= 2000 ms", upper=2000.0,
            note="the slowest of 17 repetitive 100 KB inputs, median; baseline: one \\w+ "
            "regex pass over that input",
        )
    ]  # fmt: skip


def recorder(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.recorder import (
        bench_recorder_event,
        bench_session_state_bytes,
        bench_turn_overhead,
    )

    home = ctx.workdir / "recorder"
    event = bench_recorder_event(30, home=home)
    overhead = bench_turn_overhead(30, repeats=5 if ctx.quick else 15, home=home)
    state = bench_session_state_bytes(30, home=home)
    return [
        BenchResult(
            "recorder_event_p99_us", event["recorder_event_p99_us"], "us",
            goal="<= 50 us", upper=50.0,
            note="handler cost per session event on a real AgentSession",
        ),
        BenchResult(
            "recorder_turn_overhead_us",
            max(overhead["recorder_turn_overhead_us"], overhead["recorder_handler_us_per_turn"]),
            "us", baseline=overhead["baseline"], goal="<= 100 us", upper=100.0,
            note="added wall time per scripted turn with the recorder attached; baseline: the "
            "turn without it (the larger of the median paired wall-time difference and the "
            "summed time of the handlers and deferred detection passes, so machine noise "
            "cannot report less than they cost)",
        ),
        BenchResult(
            "session_state_bytes", state["session_state_bytes"], "bytes",
            goal="<= 8192", upper=8192.0,
            note="tracemalloc of the recorder's retained state, 30 turns, 4 tool calls, "
            "no transcript",
        ),
    ]  # fmt: skip


def export(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.forward import bench_export

    figures = bench_export(ctx.workdir, n=200 if ctx.quick else 1_000)
    baseline = figures["bare_sqlite_insert_p99_ms"]
    return [
        BenchResult(
            "session_end_export_p99_ms", figures["session_end_export_p99_ms"], "ms",
            baseline=baseline, goal="<= 5 ms and <= 1.5x baseline", upper=min(5.0, 1.5 * baseline),
            note="final record appended durably to the outbox; baseline: bare SQLite "
            "insert+commit of the same bytes, same settings",
        )
    ]  # fmt: skip


def outbox_check(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.outbox_check import bench_open_check

    n = 1_000 if ctx.quick else 10_000
    figures = bench_open_check(ctx.workdir, n=n, runs=5 if ctx.quick else 15)
    mb = figures["outbox_bytes"] / 1e6
    return [
        BenchResult(
            "outbox_open_check_ms", figures["outbox_open_check_ms"], "ms",
            baseline=figures["outbox_open_plain_ms"], goal="reported (once per process open)",
            note=f"open of an outbox of {n:,} final records ({mb:.1f} MB) with the damage "
            "check (header + PRAGMA quick_check); baseline: the same open without it",
        )
    ]  # fmt: skip


def forward(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.forward import bench_forward

    figures = asyncio.run(bench_forward(ctx.redis_url, n=2_000 if ctx.quick else 10_000))
    return [
        BenchResult(
            "forward_records_per_s", figures["forward_records_per_s"], "records/s",
            baseline=figures["raw_xadd_records_per_s"], goal="ratio >= 0.5",
            lower=0.5 * figures["raw_xadd_records_per_s"],
            note="outbox → Redis Streams; baseline: raw pipelined XADD of the same payloads",
        )
    ]  # fmt: skip


def service(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.service import bench

    # the goal in numbers, beside the words bench/service.py gives it
    lower = {"service_sessions_per_s": 2000.0}
    return [dataclasses.replace(r, lower=lower.get(r.name, r.lower)) for r in bench(ctx)]


def dashboard(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.dashboard import bench_overview

    figures = bench_overview(1_000_000, ctx.workdir, runs=3 if ctx.quick else 7)
    return [
        BenchResult(
            "dashboard_overview_ms_1m", figures["dashboard_overview_ms_1m"], "ms",
            goal="<= 300 ms", upper=300.0,
            note="all overview queries, median, DuckDB, 1,000,000 sessions",
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


def startup(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.startup import bench_startup

    figures = bench_startup(ctx.workdir / "startup", runs=5 if ctx.quick else 15)
    baseline = figures["typer_import_ms"]
    goal = "<= 1.5x baseline + 150 ms"
    return [
        BenchResult(
            "cli_help_ms", figures["cli_help_ms"], "ms", baseline=baseline, goal=goal,
            upper=1.5 * baseline + 150, note="`signalroom --help` as a new process, median; "
            "baseline: python -c 'import typer', interleaved",
        ),
        BenchResult(
            "detect_once_ms", figures["detect_once_ms"], "ms", baseline=baseline, goal=goal,
            upper=1.5 * baseline + 150, note="`signalroom detect` on one line from stdin, "
            "empty home, as a new process, median; baseline: python -c 'import typer'",
        ),
    ]  # fmt: skip


def knowledge(ctx: BenchContext) -> list[BenchResult]:
    from signalroom.bench.knowledge import bench_knowledge

    figures = bench_knowledge(rounds=20 if ctx.quick else 200)
    return [
        BenchResult(
            "knowledge_build_ms", figures["knowledge_build_ms"], "ms", goal="<= 1000 ms",
            upper=1000.0, note="BM25 index of the bundled product docs, built once per worker",
        ),
        BenchResult(
            "knowledge_search_p99_ms", figures["knowledge_search_p99_ms"], "ms",
            baseline=figures["substring_scan_p99_ms"], goal="<= 20 ms", upper=20.0,
            note="one search of the bundled docs; baseline: a substring scan of every section "
            "for the query's words",
        ),
    ]  # fmt: skip


SUITE: tuple[tuple[str, Bench], ...] = (
    ("startup", startup),
    ("signal detection", signals),
    ("adversarial detection", adversarial),
    ("recorder", recorder),
    ("session-end export", export),
    ("outbox damage check", outbox_check),
    ("privacy redaction", privacy),
    ("record size", record_size),
    ("knowledge search", knowledge),
    ("forwarding", forward),
    ("service", service),
    ("dashboard", dashboard),
)


def default_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="signalroom-bench-"))
