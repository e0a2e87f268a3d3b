"""The service-scaling plot: every stage is measured at each size, and a PNG is written.

How the stages' times grow with the record is what the plot shows; comparing two wall-clock
timings here would fail on a busy machine, so the test checks what is measured, not how fast.
"""

from __future__ import annotations

from pathlib import Path

from signalroom.bench.plot import measure_service_scaling, plot_service_scaling

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_every_stage_is_measured_at_each_record_size() -> None:
    small, large = measure_service_scaling((2, 60), records=20, batch_size=10, repeats=1)
    assert (small.turns, large.turns) == (2, 60)
    assert small.record_kb < 16 < large.record_kb  # the large one travels compressed
    assert large.envelope_kb < large.record_kb
    for point in (small, large):
        assert point.decode_ms > 0 and point.analyze_ms > 0 and point.write_ms > 0


def test_plot_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "scaling.png"
    written = plot_service_scaling(out, (2, 4), records=6, batch_size=3, repeats=1)
    assert written == out
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
