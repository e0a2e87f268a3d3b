"""Bulk synthetic data and the overview benchmark (small n; the 1M figure is `signalroom bench`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from signalroom.bench.dashboard import bench_overview
from signalroom.dashboard import queries
from signalroom.dashboard.reader import WarehouseTarget, open_reader
from signalroom.dashboard.synthetic import generate


def test_generate_fills_the_real_schema(tmp_path: Path):
    path = tmp_path / "w.duckdb"
    info = generate(path, 5_000, days=30)
    assert info["sessions"] == 5_000
    con = duckdb.connect(str(path), read_only=True)
    try:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("sessions", "session_facts")
        }
        migrations = con.execute("SELECT max(version) FROM schema_migrations").fetchone()
        days = con.execute("SELECT count(DISTINCT day) FROM session_facts").fetchone()
        bad = con.execute(
            "SELECT count(*) FROM session_facts WHERE booked AND NOT qualified"
        ).fetchone()
    finally:
        con.close()
    assert counts == {"sessions": 5_000, "session_facts": 5_000}
    assert migrations is not None and migrations[0] >= 1
    assert days == (30,)
    assert bad == (0,)
    with open_reader(WarehouseTarget.parse(f"duckdb://{path}")) as db:
        overview = queries.overview(db)
    assert overview.totals["calls"] == 5_000
    assert {row["grade"] for row in overview.grades} == {"A", "B", "C", "D", "F"}
    assert overview.integrations and overview.integrations[0]["name"] == "salesforce"


def test_bench_overview_reports_a_named_figure(tmp_path: Path):
    result = bench_overview(20_000, tmp_path, runs=2)
    assert list(result) == ["dashboard_overview_ms_20k"]
    assert 0 < result["dashboard_overview_ms_20k"] < 5_000
    assert not list(tmp_path.iterdir())  # the temporary warehouse is removed
