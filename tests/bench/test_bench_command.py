from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from signalroom.bench.commands import markdown_table
from signalroom.bench.result import BenchResult
from signalroom.cli import app


def test_ratio_is_value_over_baseline_and_validity_is_checked() -> None:
    r = BenchResult("x", 30.0, "us", baseline=10.0)
    assert r.ratio == 3.0
    assert r.to_json()["ratio"] == 3.0
    assert BenchResult("y", 1.0, "us").ratio is None
    assert not BenchResult("z", float("nan"), "us").valid()
    assert not BenchResult("z", 0.0, "us").valid()
    assert BenchResult("z", 2.0, "us", baseline=1.0).valid()


def test_markdown_table_has_a_row_per_result() -> None:
    table = markdown_table(
        [BenchResult("a_us", 12.5, "us", baseline=5.0, goal="<= 30 us", note="x | y")]
    )
    rows = table.strip().splitlines()
    assert len(rows) == 3
    assert rows[2].startswith("| `a_us` | 12.5 | us | 5 | 2.5 | <= 30 us | x / y |")


def test_bench_command_writes_the_contract_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    md = tmp_path / "bench.md"
    result = CliRunner().invoke(
        app,
        ["bench", "--quick", "--only", "privacy", "--json", str(out), "--markdown", str(md)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    (row,) = data["results"]
    assert row["name"] == "redact_p99_us"
    assert row["value"] > 0 and math.isfinite(row["value"])
    assert math.isclose(row["ratio"], row["value"] / row["baseline"])
    assert "`redact_p99_us`" in md.read_text()


def test_unknown_group_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["bench", "--only", "nothing"])
    assert result.exit_code != 0
