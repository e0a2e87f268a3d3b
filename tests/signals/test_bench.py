"""The benchmark functions return usable figures (speed itself is reported by the bench)."""

from __future__ import annotations

import math

from signalroom.bench.signals import (
    NUMBER_CASES,
    bench_detect,
    compare_number_libraries,
    floor_pattern,
)


def test_bench_detect_returns_positive_finite_figures() -> None:
    figures = bench_detect(["we're a team of 12", "we use hubspot and need it asap"], repeat=3)
    assert {"detect_p50_us", "detect_p99_us", "regex_floor_us"} <= set(figures)
    assert all(math.isfinite(v) and v > 0 for v in figures.values())
    assert figures["detect_p99_us"] >= figures["detect_p50_us"]


def test_floor_pattern_finds_vocabulary_digits_and_number_words() -> None:
    found = [
        m.group().lower() for m in floor_pattern().finditer("We use HubSpot, 12 people, twenty")
    ]
    assert "hubspot" in found and "12" in found and "twenty" in found


def test_library_comparison_counts_every_case() -> None:
    rows = compare_number_libraries(repeat=1)
    names = {row["library"] for row in rows}
    assert "text2num.text2num" in names
    for row in rows:
        assert 0 <= row["correct"] <= row["cases"] == len(NUMBER_CASES)
        assert row["us_per_call"] > 0
    ours = next(row for row in rows if row["library"].startswith("signalroom"))
    assert ours["correct"] == len(NUMBER_CASES)
