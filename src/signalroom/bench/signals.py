"""Speed of ``signals.detect`` beside a regex floor, and the number-words library comparison.

The floor is the least any vocabulary matcher must do: one ``finditer`` pass of a single
compiled alternation of every vocabulary phrase, digit run and number word. The alternation is
factored into a character trie so the floor is as fast as Python's ``re`` allows (a flat
alternation of ~2,500 phrases is ~50x slower and would flatter the ratio).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from signalroom.bench.stats import percentile

#: Spoken number phrases from docs/signals-spec.md and the detector's tests, with their values.
NUMBER_CASES: tuple[tuple[str, float], ...] = (
    ("twelve", 12),
    ("two hundred and fifty", 250),
    ("fifteen hundred", 1500),
    ("twenty-five", 25),
    ("twenty five", 25),
    ("seventy five", 75),
    ("three thousand five hundred", 3500),
    ("ten thousand", 10_000),
    ("a hundred and twenty", 120),
    ("a dozen", 12),
    ("two dozen", 24),
    ("a couple hundred", 200),
    ("half a million", 500_000),
    ("a thousand", 1000),
    ("a million", 1_000_000),
    ("forty", 40),
    ("eleven hundred", 1100),
    ("one hundred one", 101),
    ("twelve thousand three hundred forty five", 12_345),
    ("two million five hundred thousand", 2_500_000),
    ("nine hundred ninety nine", 999),
    ("thirty-two", 32),
    ("twenty-one hundred", 2100),
    ("two thousand and five", 2005),
    ("two point five million", 2_500_000),
    ("one and a half thousand", 1500),
    ("a million and a half", 1_500_000),
)


def bench_detect(texts: list[str], repeat: int) -> dict[str, float]:
    """p50/p90/p99 microseconds of ``detect`` over the texts, and the regex floor's, same run.

    Each round runs every text once, the floor right after each ``detect``. A text's cost is
    the median of its rounds, and the percentiles are taken over the texts: the p99 is the
    cost of the longest utterances, not of the moments the scheduler took the core away (on
    a shared machine, the raw p99 of single samples measures the other processes). The raw
    sample percentiles are returned too (``*_raw_*``).
    """
    from signalroom.signals import warm

    detector = warm()
    floor = floor_pattern()
    for text in texts:  # warm: the detector's tables, the regex caches
        detector.detect(text)
        floor.findall(text)
    per_text: list[list[float]] = [[] for _ in texts]
    per_floor: list[list[float]] = [[] for _ in texts]
    clock = time.perf_counter_ns
    for _ in range(max(1, repeat)):
        for k, text in enumerate(texts):
            t0 = clock()
            detector.detect(text)
            t1 = clock()
            for _m in floor.finditer(text):
                pass
            t2 = clock()
            per_text[k].append((t1 - t0) / 1_000)
            per_floor[k].append((t2 - t1) / 1_000)
    detect_cost = [percentile(x, 50) for x in per_text]
    floor_cost = [percentile(x, 50) for x in per_floor]
    samples = [v for x in per_text for v in x]
    floor_samples = [v for x in per_floor for v in x]
    return {
        "detect_p50_us": percentile(detect_cost, 50),
        "detect_p90_us": percentile(detect_cost, 90),
        "detect_p99_us": percentile(detect_cost, 99),
        "regex_floor_us": percentile(floor_cost, 50),
        "regex_floor_p99_us": percentile(floor_cost, 99),
        "detect_raw_p50_us": percentile(samples, 50),
        "detect_raw_p99_us": percentile(samples, 99),
        "regex_floor_raw_p50_us": percentile(floor_samples, 50),
    }


def floor_pattern() -> re.Pattern[str]:
    """One alternation of every vocabulary phrase, digit run and number word.

    The industry taxonomy's ~36,000 phrases are left out: with them the pattern takes seconds
    to compile and matches the bench texts no slower (measured: p50 5.0 vs 5.1 us), because
    the trie's first characters are the same."""
    from signalroom.signals import default_detector
    from signalroom.signals.tokens import NUMBER_WORDS

    terms = default_detector().vocabulary_terms(industry=False) | NUMBER_WORDS
    body = _trie(sorted(terms))
    return re.compile(r"\b(?:" + body + r"|\d+(?:[.,]\d+)*)\b", re.IGNORECASE)


def _trie(terms: Sequence[str]) -> str:
    root: dict[str, Any] = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [
            (r"\s+" if ch == " " else re.escape(ch)) + build(sub)
            for ch, sub in sorted(node.items())
            if ch
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def compare_number_libraries(repeat: int = 200) -> list[dict[str, Any]]:
    """Accuracy and speed of text2num and number-parser on :data:`NUMBER_CASES`.

    Each library is called on the phrase as spoken; ``signalroom`` is the detector's own
    reader (text2num plus the handling of "a", "dozen", "couple" and "half").
    """
    from signalroom.signals.phrases import words_of
    from signalroom.signals.tokens import _words_value

    readers: dict[str, Callable[[str], float | None]] = {}
    try:
        from text_to_num import alpha2digit, text2num

        readers["text2num.text2num"] = lambda s: _safe(lambda: float(text2num(s, "en")))
        readers["text2num.alpha2digit"] = lambda s: _safe(lambda: float(alpha2digit(s, "en")))
    except ImportError:  # pragma: no cover - a base dependency
        pass
    try:
        from number_parser import parse, parse_number

        readers["number_parser.parse_number"] = lambda s: _safe(lambda: float(parse_number(s)))
        readers["number_parser.parse"] = lambda s: _safe(lambda: float(parse(s)))
    except ImportError:  # a development dependency; the comparison skips it when absent
        pass
    readers["signalroom (text2num + rules)"] = lambda s: _words_value(list(words_of(s)))
    rows = []
    for name, read in readers.items():
        correct = sum(1 for phrase, want in NUMBER_CASES if _same(read(phrase), want))
        rounds = max(1, repeat if "number_parser" not in name else repeat // 20)
        t0 = time.perf_counter_ns()
        for _ in range(rounds):
            for phrase, _want in NUMBER_CASES:
                read(phrase)
        per_call = (time.perf_counter_ns() - t0) / 1_000 / (rounds * len(NUMBER_CASES))
        rows.append(
            {
                "library": name,
                "correct": correct,
                "cases": len(NUMBER_CASES),
                "us_per_call": per_call,
            }
        )
    return rows


def _safe(fn: Callable[[], float]) -> float | None:
    try:
        return fn()
    except (ValueError, TypeError):
        return None


def _same(got: float | None, want: float) -> bool:
    return got is not None and math.isclose(got, want)
