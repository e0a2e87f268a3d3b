"""``signalroom bench``: run the suite, print a table, write the contract's JSON."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from signalroom.cli_common import HomeOption
from signalroom.console import err_console, fail

if TYPE_CHECKING:
    from signalroom.bench.result import BenchResult


def register(app: typer.Typer) -> None:
    app.command(
        "bench",
        help="Measure the performance goals, each beside a baseline run in the same process, "
        "and write them as JSON.\n\nNeeds Redis and PostgreSQL for the pipeline figures "
        "(--redis, --postgres).\n\nExample: signalroom bench --quick --json bench.json",
    )(bench)


def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Smaller samples (under a minute).")
    ] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the results to this JSON file.")
    ] = None,
    markdown_path: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the results as a Markdown table."),
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these groups (repeatable).")
    ] = None,
    redis_url: Annotated[
        str, typer.Option("--redis", envvar="SIGNALROOM_BENCH_REDIS")
    ] = "redis://127.0.0.1:6379/0",
    postgres_url: Annotated[
        str, typer.Option("--postgres", envvar="SIGNALROOM_BENCH_POSTGRES")
    ] = "postgresql://postgres@127.0.0.1:5432/postgres",
    home: HomeOption = None,
) -> None:
    from signalroom.bench.result import BenchContext
    from signalroom.bench.suite import EXPECTED, SUITE, default_workdir

    groups = [(name, fn) for name, fn in SUITE if not only or name.split()[0] in only]
    if only and not groups:
        fail(f"no benchmark group named {only}", hint=f"use {[n.split()[0] for n, _ in SUITE]}")
    workdir = default_workdir()
    ctx = BenchContext(quick, workdir, redis_url, postgres_url)
    results: list[BenchResult] = []
    failures: list[str] = []
    started = time.perf_counter()
    try:
        with err_console.status("benchmarking...", spinner="dots") as status:
            for name, fn in groups:
                status.update(f"benchmarking {name}...")
                t0 = time.perf_counter()
                try:
                    produced = fn(ctx)
                except Exception as exc:  # a crashed group is reported, the others still run
                    failures.append(f"{name}: {type(exc).__name__}: {exc}")
                    continue
                results.extend(produced)
                err_console.print(f"  {name}: {time.perf_counter() - t0:.1f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _print_table(results, quick)
    err_console.print(f"total {time.perf_counter() - started:.0f} s")
    payload: dict[str, Any] = {
        "results": [r.to_json() for r in results],
        "quick": quick,
        "failures": failures,
    }
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(markdown_table(results))
    names = {r.name for r in results}
    missing = [n for n in EXPECTED if n not in names] if not only else []
    invalid = [r.name for r in results if not r.valid()]
    if failures or missing or invalid:
        detail = "; ".join(failures + [f"missing {n}" for n in missing] +
                           [f"{n} is not a positive finite number" for n in invalid])  # fmt: skip
        fail(f"benchmark incomplete: {detail}", hint="see the failures above")


def _print_table(results: list[BenchResult], quick: bool) -> None:
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    table = Table(title=f"signalroom bench{' --quick' if quick else ''}", title_justify="left")
    table.add_column("name", no_wrap=True)
    for column in ("value", "unit", "baseline", "ratio"):
        table.add_column(column, justify="right" if column != "unit" else "left", no_wrap=True)
    table.add_column("goal")
    table.add_column("met", no_wrap=True)
    for r in results:
        row = (r.name, _fmt(r.value), r.unit, _fmt(r.baseline), _fmt(r.ratio), r.goal or "")
        table.add_row(*row, _met(r.met))
    # As wide as the table needs, whatever the terminal (or 80 columns when piped): a name is
    # never cut.
    options = err_console.options.update_width(10_000)
    width = Measurement.get(err_console, options, table).maximum
    Console(stderr=True, highlight=False, width=max(err_console.width, width)).print(table)


def _met(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "no"


def markdown_table(results: list[Any]) -> str:
    """The results as the Markdown table docs/benchmarks.md carries."""
    lines = [
        "| name | value | unit | baseline | ratio | goal | met | what it measures |",
        "| --- | ---: | --- | ---: | ---: | --- | --- | --- |",
    ]
    for r in results:
        cells = [
            f"`{r.name}`", _fmt(r.value), r.unit, _fmt(r.baseline), _fmt(r.ratio),
            r.goal or "", _met(r.met), (r.note or "").replace("|", "/"),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
