"""Detection on 100 KB adversarial inputs: the slowest one, beside a regex pass over it.

Repetitions of number words, ranges, vocabulary terms and Unicode case-folding traps are where
a careless pattern backtracks catastrophically; the goal keeps each one linear and bounded.
"""

from __future__ import annotations

import re
import time

PIECES = (
    "1",
    "1.",
    "1,",
    "$",
    "one ",
    "four one five ",
    "a hundred and ",
    "twenty five to thirty to ",
    "between 10 and 15 and ",
    "we're a ",
    "about ",
    "5 or so ",
    "salesforce and ",
    "we don't use slack ",
    "within the next 3 weeks ",
    "İ",
    "é’",
)
SIZE = 100_000
_WORDS = re.compile(r"\w+")


def bench_adversarial(repeat: int) -> dict[str, float]:
    """The slowest input's median detect time (ms), and a word-regex pass over that input."""
    from signalroom.signals.detector import detect_with_evidence

    worst: tuple[float, str] = (0.0, "")
    for piece in PIECES:
        text = piece * (SIZE // len(piece) + 1)
        runs = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            detect_with_evidence(text)
            runs.append((time.perf_counter() - t0) * 1000)
        median = sorted(runs)[len(runs) // 2]
        worst = max(worst, (median, text))
    floor = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _m in _WORDS.finditer(worst[1]):
            pass
        floor.append((time.perf_counter() - t0) * 1000)
    return {
        "detect_adversarial_100kb_ms": worst[0],
        "word_regex_100kb_ms": sorted(floor)[len(floor) // 2],
    }
