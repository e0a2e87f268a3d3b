"""Sentiment of the caller, turn by turn, with VADER (``vaderSentiment``, offline, rule-based).

VADER's compound score runs from -1 (most negative) to +1. The trend is the mean of the second
half of the user turns minus the mean of the first half: positive when the caller warmed up.
Records without a transcript (the privacy policy may drop it) get nulls and a ``note``.
"""

from __future__ import annotations

from typing import Any

from signalroom.analyzers.vader import FastVader
from signalroom.record import SessionRecord

#: The longest text scored per turn; VADER's cost grows with length and the opening carries tone.
MAX_CHARS = 2_000


class SentimentAnalyzer:
    name = "sentiment"
    version = "1.0"

    def __init__(self) -> None:
        # Loading the lexicon takes a few milliseconds: once per analyzer, not per record.
        # FastVader scores exactly as VADER does, with less overhead per word (see vader.py).
        self._vader = FastVader()

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        if record.transcript is None:
            return _empty("no transcript")
        turns: list[dict[str, Any]] = []
        ordinal = 0
        for item in record.transcript:
            if item.role != "user":
                continue
            index = item.turn_index if item.turn_index is not None else ordinal
            ordinal += 1
            if not item.text.strip():
                continue
            compound = self._vader.compound(item.text[:MAX_CHARS])
            turns.append({"turn_index": index, "compound": round(float(compound), 4)})
        if not turns:
            return _empty("no user turns")
        scores = [t["compound"] for t in turns]
        half = len(scores) // 2
        trend = _mean(scores[half:]) - _mean(scores[:half]) if half else 0.0
        worst = min(turns, key=lambda t: t["compound"])
        return {
            "mean": round(_mean(scores), 4),
            "trend": round(trend, 4),
            "turns": turns,
            "most_negative": worst if worst["compound"] < 0 else None,
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _empty(note: str) -> dict[str, Any]:
    return {"mean": None, "trend": None, "turns": [], "most_negative": None, "note": note}
