"""Cost of redacting one user turn, beside a plain regex pass over the same text."""

from __future__ import annotations

import re
import time

from signalroom.bench.result import BenchContext, BenchResult
from signalroom.bench.stats import percentile
from signalroom.privacy.redact import redact

TURNS = [
    "sure my email is jane dot doe at acme dot com and my cell is 415 555 0132",
    "we're a team of about twelve and we handle maybe three hundred contracts a month",
    "you can reach me at jane.doe@acme.com or on +1 (415) 555-0132 after lunch",
    "we're at 221 Baker Street and we'd need this by the end of the month",
    "we mostly use salesforce and google drive, nothing fancy",
    "honestly it's just me right now, I'm a mortgage broker",
]
_FLOOR = re.compile(r"\d+|@|\bat\b|\bdot\b")


def bench_redact(ctx: BenchContext) -> list[BenchResult]:
    rounds = 200 if ctx.quick else 2_000
    samples: list[float] = []
    floor: list[float] = []
    for _ in range(rounds):
        for text in TURNS:
            t0 = time.perf_counter_ns()
            redact(text)
            samples.append((time.perf_counter_ns() - t0) / 1_000)
            t0 = time.perf_counter_ns()
            for _m in _FLOOR.finditer(text):
                pass
            floor.append((time.perf_counter_ns() - t0) / 1_000)
    return [
        BenchResult(
            "redact_p99_us",
            percentile(samples, 99),
            "us",
            baseline=percentile(floor, 99),
            goal="reported (runs once per record, off the call path)",
            note="baseline: one regex pass over the same turn",
        )
    ]
