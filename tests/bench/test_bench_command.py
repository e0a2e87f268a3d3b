from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
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
        [
            BenchResult("a_us", 12.5, "us", baseline=5.0, goal="<= 30 us", upper=30, note="x | y"),
            BenchResult("b_us", 40.0, "us", goal="<= 30 us", upper=30),
            BenchResult("c_bytes", 7.0, "bytes", goal="reported"),
        ]
    )
    rows = table.strip().splitlines()
    assert len(rows) == 5
    assert rows[2].startswith("| `a_us` | 12.5 | us | 5 | 2.5 | <= 30 us | yes | x / y |")
    assert rows[3].startswith("| `b_us` | 40 | us |  |  | <= 30 us | no |")
    assert rows[4].startswith("| `c_bytes` | 7 | bytes |  |  | reported | — |")


def test_met_is_the_value_within_its_bounds() -> None:
    assert BenchResult("x", 5.0, "ms", upper=5.0).met is True
    assert BenchResult("x", 5.1, "ms", upper=5.0).met is False
    assert BenchResult("x", 0.4, "x", lower=0.5).met is False
    assert BenchResult("x", 0.7, "x", lower=0.5, upper=1.0).met is True
    assert BenchResult("x", 0.7, "x").met is None
    assert "met" not in BenchResult("x", 0.7, "x").to_json()
    assert BenchResult("x", 9.0, "ms", upper=5.0).to_json()["met"] is False


def test_terminal_table_keeps_full_names_in_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from signalroom.bench.commands import _print_table

    monkeypatch.setenv("COLUMNS", "80")
    name = "an_unusually_long_benchmark_figure_name_ms"
    goal = "<= 1.5x baseline + 150 ms, measured beside the baseline in the same run"
    results = [BenchResult(name, 123.0, "ms", baseline=100.0, goal=goal, upper=300.0)]
    _print_table(results, quick=False)
    out = capsys.readouterr().err
    row = next(line for line in out.splitlines() if name in line)
    assert "yes" in row
    assert "met" in out


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
