"""The recorder benchmark's byte count keeps exactly what tracemalloc's own filters keep."""

from __future__ import annotations

import tracemalloc

from signalroom.bench.recorder import _our_bytes
from signalroom.signals import SignalState, detect_with_evidence


def test_our_bytes_match_tracemallocs_all_frames_filters() -> None:
    detect_with_evidence("warm")  # the tables are built outside the trace
    tracemalloc.start(16)
    try:
        # a call's signal state (Python frames in signalroom/signals, whichever detector runs)
        state = SignalState()
        for n in range(40):
            state.update(f"a team of {n} in hubspot, asap", at=float(n), turn_index=n)
        kept: list[object] = [state]
        kept.append([bytearray(64) for _ in range(50)])  # allocations of no signalroom frame
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    filters = [
        tracemalloc.Filter(True, "*signalroom/collect/*", all_frames=True),
        tracemalloc.Filter(True, "*signalroom/signals/*", all_frames=True),
    ]
    expected = sum(s.size for s in snapshot.filter_traces(filters).statistics("filename"))
    assert _our_bytes(snapshot) == expected
    assert expected > 0
    assert kept
