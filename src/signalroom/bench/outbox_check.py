"""Cost of the damage check each time the outbox opens its database (outbox/damage.py).

The check reads SQLite's header and runs ``PRAGMA quick_check``, which is linear in the file;
the baseline opens the same file without it. The outbox holds ``n`` final records of a
typical call, more than a healthy forwarder ever leaves behind.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path

from signalroom.bench.forward import typical_record
from signalroom.config import OutboxSettings
from signalroom.outbox.damage import forget_checked, open_checked
from signalroom.outbox.store import Outbox


def bench_open_check(workdir: Path, *, n: int, runs: int) -> dict[str, float]:
    path = workdir / "outbox-check" / "outbox.sqlite"
    outbox = Outbox(path, OutboxSettings(synchronous="NORMAL"))  # setup only: no fsync each
    for i in range(n):
        outbox.append(typical_record(f"room_open_{i}"))
    outbox.close()

    def opener() -> sqlite3.Connection:
        conn = sqlite3.connect(path)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn

    checked: list[float] = []
    plain: list[float] = []
    for _ in range(runs):
        forget_checked()  # each run measures a process's first open
        t0 = time.perf_counter()
        open_checked(path, opener).close()
        checked.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        opener().close()
        plain.append((time.perf_counter() - t0) * 1000)
    return {
        "outbox_open_check_ms": statistics.median(checked),
        "outbox_open_plain_ms": statistics.median(plain),
        "outbox_bytes": float(path.stat().st_size),
    }
