"""How the service's time per record grows with the record: measured, then drawn as a PNG.

``measure_service_scaling`` runs the service's own per-record work in process, without a broker:
decode and validate the envelope (``decode_message``), run every default (non-LLM) analyzer, and
write the batch to a fresh DuckDB warehouse (``apply_sync``: one transaction, the file closed
after each batch as a service without backlog does). Records are synthetic calls with a growing
number of caller turns (each answered by the agent, with its latency metrics), so the transcript
and the per-turn rows grow together as they do in real calls.

``plot_service_scaling`` draws the result with matplotlib (Agg backend, no display needed): time
per record against the number of turns, and against the record's JSON size, split into the three
stages. It lives outside the package because matplotlib is a development dependency.
``docs/images/service-scaling.png`` is made with::

    uv run python scripts/plot_service_scaling.py docs/images/service-scaling.png
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from signalroom.analyzers import Analyzer, default_analyzers, run_analyzers
from signalroom.bench.service import synthetic_record
from signalroom.destinations.base import AnalyzedSession
from signalroom.destinations.duckdb import DuckDBWarehouse
from signalroom.service.consumer import relax_full_collections
from signalroom.transports.envelope import COMPRESS_ABOVE, decode_message, encode_record

DEFAULT_TURNS = (5, 10, 20, 40, 80, 160)


@dataclass(frozen=True, slots=True)
class ScalePoint:
    """Median milliseconds per record of each stage, for records of one size."""

    turns: int
    records: int
    batch_size: int
    record_kb: float
    envelope_kb: float
    decode_ms: float
    analyze_ms: float
    write_ms: float

    @property
    def total_ms(self) -> float:
        return self.decode_ms + self.analyze_ms + self.write_ms


def measure_service_scaling(
    turns: Sequence[int] = DEFAULT_TURNS,
    *,
    records: int = 500,
    batch_size: int = 250,
    repeats: int = 3,
) -> list[ScalePoint]:
    """Per-record stage times for each size; each figure is the median of ``repeats`` rounds."""
    analyzers = default_analyzers()
    points: list[ScalePoint] = []
    # The garbage-collector setting the service runs with.
    thresholds = relax_full_collections()
    try:
        with tempfile.TemporaryDirectory(prefix="signalroom-scaling-") as tmp:
            for size in turns:
                points.append(
                    _measure_size(size, analyzers, Path(tmp), records, batch_size, repeats)
                )
    finally:
        gc.set_threshold(*thresholds)
    return points


def _measure_size(
    size: int,
    analyzers: Sequence[Analyzer],
    tmp: Path,
    records: int,
    batch_size: int,
    repeats: int,
) -> ScalePoint:
    """Median per-record stage times of ``records`` synthetic calls of ``size`` turns."""
    sample = synthetic_record(0, turns=size)
    bodies = [encode_record(synthetic_record(i, turns=size)) for i in range(records)]
    rounds = [
        _one_round(bodies, analyzers, tmp / f"{size}-{r}.duckdb", batch_size)
        for r in range(repeats)
    ]
    decode, analyze, write = (
        statistics.median(r[k] for r in rounds) * 1000 / records for k in range(3)
    )
    return ScalePoint(
        turns=size,
        records=records,
        batch_size=batch_size,
        record_kb=len(sample.model_dump_json()) / 1024,
        envelope_kb=len(bodies[0]) / 1024,
        decode_ms=decode,
        analyze_ms=analyze,
        write_ms=write,
    )


def _one_round(
    bodies: Sequence[bytes], analyzers: Sequence[Analyzer], path: Path, batch_size: int
) -> tuple[float, float, float]:
    """Seconds spent decoding, analyzing and writing ``bodies`` into a new warehouse."""
    warehouse = DuckDBWarehouse(f"duckdb://{path}")
    warehouse.count_rows("sessions")  # create the tables outside the measurement
    decode = analyze = write = 0.0
    for start in range(0, len(bodies), batch_size):
        t0 = time.perf_counter()
        records = [decode_message(body)[1] for body in bodies[start : start + batch_size]]
        t1 = time.perf_counter()
        analyzed = [AnalyzedSession(r, run_analyzers(r, analyzers)) for r in records]
        t2 = time.perf_counter()
        warehouse.apply_sync(analyzed)
        t3 = time.perf_counter()
        decode, analyze, write = decode + t1 - t0, analyze + t2 - t1, write + t3 - t2
    return decode, analyze, write


def plot_service_scaling(
    out_png: Path,
    turns: Sequence[int] = DEFAULT_TURNS,
    *,
    records: int = 500,
    batch_size: int = 250,
    repeats: int = 3,
) -> Path:
    """Measure (see :func:`measure_service_scaling`) and draw one PNG with two panels."""
    points = measure_service_scaling(turns, records=records, batch_size=batch_size, repeats=repeats)
    return draw_service_scaling(points, out_png)


def draw_service_scaling(points: Sequence[ScalePoint], out_png: Path) -> Path:
    # The object API with the Agg canvas: no pyplot state, no display.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.4), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    by_turns, by_size = fig.subplots(1, 2)
    series = [
        ("total", [p.total_ms for p in points], "-", 2.4),
        ("decode + validate", [p.decode_ms for p in points], "--", 1.4),
        ("analyzers", [p.analyze_ms for p in points], "--", 1.4),
        ("DuckDB write", [p.write_ms for p in points], "--", 1.4),
    ]
    for ax, xs, label in (
        (by_turns, [p.turns for p in points], "caller turns per call (log scale)"),
        (by_size, [p.record_kb for p in points], "record JSON size, KB (log scale)"),
    ):
        for name, ys, style, width in series:
            ax.plot(xs, ys, style, marker="o", markersize=4, linewidth=width, label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=10)
        ax.set_xlabel(label)
        ax.set_ylabel("ms per record")
        ax.grid(True, which="both", alpha=0.3)
    by_turns.set_xticks([p.turns for p in points], [str(p.turns) for p in points])
    by_size.set_xticks([p.record_kb for p in points], [f"{p.record_kb:.0f}" for p in points])
    by_size.axvline(COMPRESS_ABOVE / 1024, color="grey", linestyle=":", linewidth=1)
    by_size.annotate(
        "records above 16 KB travel\ngzip-compressed (inflated here)",
        xy=(COMPRESS_ABOVE / 1024, 0.02),
        xycoords=("data", "axes fraction"),
        xytext=(5, 0),
        textcoords="offset points",
        fontsize=8,
        color="dimgrey",
    )
    by_turns.legend(loc="upper left", fontsize=9)
    by_turns.set_title("Time per record vs call length")
    by_size.set_title("Time per record vs record size")
    fig.suptitle(
        "signalroom service in process, no broker: decode + validate, 5 analyzers, DuckDB write "
        f"({points[0].records} records in batches of {points[0].batch_size}, median of rounds)",
        fontsize=10,
    )
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    return out_png


if __name__ == "__main__":
    import sys

    print(plot_service_scaling(Path(sys.argv[1] if len(sys.argv) > 1 else "service-scaling.png")))
