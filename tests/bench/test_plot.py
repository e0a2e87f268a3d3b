"""The service-scaling plot: measured stages grow with the record, and a PNG is written."""

from __future__ import annotations

from pathlib import Path

from scripts.plot_service_scaling import measure_service_scaling, plot_service_scaling

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_stages_are_measured_and_grow_with_the_record() -> None:
    small, large = measure_service_scaling((2, 60), records=20, batch_size=10, repeats=1)
    assert (small.turns, large.turns) == (2, 60)
    assert small.record_kb < 16 < large.record_kb  # the large one travels compressed
    assert large.envelope_kb < large.record_kb
    for point in (small, large):
        assert point.decode_ms > 0 and point.analyze_ms > 0 and point.write_ms > 0
    assert large.analyze_ms > small.analyze_ms
    assert large.total_ms > small.total_ms


def test_plot_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "scaling.png"
    written = plot_service_scaling(out, (2, 4), records=6, batch_size=3, repeats=1)
    assert written == out
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
