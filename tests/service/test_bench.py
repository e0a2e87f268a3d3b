from __future__ import annotations

import pytest

from signalroom.bench.service import bench_service, synthetic_record

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def test_synthetic_records_vary_and_validate() -> None:
    a, b = synthetic_record(1), synthetic_record(2)
    assert a.record_id != b.record_id
    assert a.discovered_signals != b.discovered_signals
    assert a.transcript is not None and len(a.transcript) == 16


def test_bench_service_measures_both_loops() -> None:
    result = bench_service("redis://127.0.0.1:6379/0", 120)
    assert set(result) == {"service_sessions_per_s", "bare_consume_ack_per_s"}
    assert all(v > 0 for v in result.values())
