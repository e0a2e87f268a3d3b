"""Scoring detections against labeled utterances: per-field precision, recall and F1.

The rules are the spec scorer's (docs/signals-spec.md, ``tests/data/score_signals.py``):

- team_size, monthly_volume, urgency, industry: a prediction equal to a non-null gold value is
  a true positive; a non-null prediction that is wrong (or where gold is null) is a false
  positive; a non-null gold value predicted wrong or null is a false negative. Volume is equal
  within 1 %.
- integration_needs: micro precision / recall over the names.
- A field with neither gold values nor predictions scores F1 = 1.0. Macro F1 is the mean.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from signalroom.signals.model import FIELDS, Signals

SCALARS = ("team_size", "monthly_volume", "urgency", "industry")
VOLUME_TOLERANCE = 0.01


class GoldError(ValueError):
    """A gold line that cannot be scored; the message names the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class Gold:
    line: int
    text: str
    expected: dict[str, Any]


@dataclass(slots=True)
class FieldScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if self.fn == 0 else 0.0

    @property
    def recall(self) -> float:
        if self.tp + self.fn:
            return self.tp / (self.tp + self.fn)
        return 1.0 if self.fp == 0 else 0.0

    @property
    def f1(self) -> float:
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Miss:
    line: int
    text: str
    fields: tuple[str, ...]
    expected: dict[str, Any]
    got: dict[str, Any]


@dataclass(slots=True)
class Report:
    fields: dict[str, FieldScore] = field(default_factory=lambda: {f: FieldScore() for f in FIELDS})
    exact: int = 0
    n: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.fields.values()) / len(self.fields)

    @property
    def exact_match(self) -> float:
        return self.exact / self.n if self.n else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "macro_f1": round(self.macro_f1, 4),
            "exact_match": round(self.exact_match, 4),
            "fields": {
                name: {
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                }
                for name, s in self.fields.items()
            },
            "misses": [
                {
                    "line": m.line,
                    "text": m.text,
                    "fields": list(m.fields),
                    "expected": m.expected,
                    "got": m.got,
                }
                for m in self.misses
            ],
        }

    def table(self) -> str:
        rows = [f"{'field':<20}{'tp':>5}{'fp':>5}{'fn':>5}{'prec':>8}{'recall':>8}{'f1':>8}"]
        for name, s in self.fields.items():
            rows.append(
                f"{name:<20}{s.tp:>5}{s.fp:>5}{s.fn:>5}"
                f"{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}"
            )
        rows.append(f"macro_f1={self.macro_f1:.3f} exact={self.exact_match:.3f} n={self.n}")
        return "\n".join(rows)


def read_gold(lines: Iterable[str], name: str) -> list[Gold]:
    """Gold lines ``{"text": ..., "expected": {five keys}}``; blank lines are skipped.

    Raises :class:`GoldError` naming the file and line of the first line that is not valid.
    """
    out: list[Gold] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip().removeprefix("\ufeff") if number == 1 else raw.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise GoldError(f"{name} line {number}: malformed JSON ({exc})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise GoldError(f'{name} line {number}: needs a string "text"')
        expected = obj.get("expected")
        if not isinstance(expected, dict) or set(expected) != set(FIELDS):
            raise GoldError(
                f'{name} line {number}: "expected" must be an object with exactly the keys '
                + ", ".join(FIELDS)
            )
        integrations = expected["integration_needs"]
        if not isinstance(integrations, list) or not all(isinstance(x, str) for x in integrations):
            raise GoldError(f"{name} line {number}: integration_needs must be a list of names")
        for key in ("team_size", "monthly_volume"):
            value = expected[key]
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise GoldError(f"{name} line {number}: {key} must be a number or null")
        for key in ("urgency", "industry"):
            if expected[key] is not None and not isinstance(expected[key], str):
                raise GoldError(f"{name} line {number}: {key} must be a string or null")
        out.append(Gold(number, obj["text"], expected))
    return out


def score(gold: Sequence[Gold], detect: Callable[[str], Signals]) -> Report:
    """Run ``detect`` on every gold text and score it."""
    report = Report()
    for row in gold:
        got = detect(row.text).to_dict()
        wrong: list[str] = []
        for name in SCALARS:
            g, p = row.expected[name], got[name]
            s = report.fields[name]
            if _equal(name, g, p):
                s.tp += g is not None
                continue
            wrong.append(name)
            s.fp += p is not None
            s.fn += g is not None
        gs = {str(x).strip().lower() for x in row.expected["integration_needs"]}
        ps = set(got["integration_needs"])
        s = report.fields["integration_needs"]
        s.tp += len(gs & ps)
        s.fp += len(ps - gs)
        s.fn += len(gs - ps)
        if gs != ps:
            wrong.append("integration_needs")
        report.n += 1
        if wrong:
            ordered = tuple(f for f in FIELDS if f in wrong)
            report.misses.append(
                Miss(
                    row.line,
                    row.text,
                    ordered,
                    {f: row.expected[f] for f in ordered},
                    {f: got[f] for f in ordered},
                )
            )
        else:
            report.exact += 1
    return report


def _equal(name: str, gold: Any, pred: Any) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    if name == "monthly_volume":
        if gold == 0:
            return bool(pred == 0)
        return bool(abs(pred - gold) <= VOLUME_TOLERANCE * abs(gold))
    if name == "team_size":
        return float(gold) == float(pred)
    return str(gold).strip().lower() == str(pred).strip().lower()
