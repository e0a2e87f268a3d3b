"""Benchmark: the dashboard overview's queries over a large DuckDB warehouse.

Fills a fresh warehouse with ``n`` synthetic sessions (:mod:`signalroom.dashboard.synthetic`),
then times what the overview page does against the database: open the file read-only and run
every overview query. The figure is the median of several runs after one warm-up.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

#: The overview must answer in under this on one million sessions.
GOAL_MS = 300.0


def _label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def bench_overview(
    n: int = 1_000_000, tmpdir: Path | None = None, runs: int = 7
) -> dict[str, float]:
    """``{"dashboard_overview_ms_1m": ms}`` (the suffix follows ``n``: ``_100k`` for 100,000)."""
    import tempfile

    from signalroom.dashboard.contacts import any_simulated
    from signalroom.dashboard.queries import overview
    from signalroom.dashboard.reader import WarehouseTarget, open_reader
    from signalroom.dashboard.synthetic import generate

    with tempfile.TemporaryDirectory(dir=tmpdir) as folder:
        path = Path(folder) / "warehouse.duckdb"
        generate(path, n, with_records=False)
        target = WarehouseTarget.parse(f"duckdb://{path}")
        timings = []
        for i in range(runs + 1):
            started = time.perf_counter()
            with open_reader(target) as db:
                overview(db)
                any_simulated(db)  # the page's "simulated data" badge
            if i:  # the first run only warms the operating system's file cache
                timings.append((time.perf_counter() - started) * 1000.0)
    return {f"dashboard_overview_ms_{_label(n)}": round(statistics.median(timings), 1)}
