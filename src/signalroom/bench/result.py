"""One benchmark figure, in the JSON shape of the CLI contract.

``goal`` says the goal in words; ``upper`` and ``lower`` are the same goal as numbers the value
must stay within (worked out from the baseline of the same run where the goal is relative), so
the table can say whether it was met. A figure that is only reported has neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class BenchResult:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    goal: str | None = None
    note: str | None = None
    upper: float | None = None
    lower: float | None = None

    @property
    def met(self) -> bool | None:
        """Whether the value is within its goal; None for a figure that is only reported."""
        if self.upper is None and self.lower is None:
            return None
        return (self.upper is None or self.value <= self.upper) and (
            self.lower is None or self.value >= self.lower
        )

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    def valid(self) -> bool:
        numbers = [self.value] + ([self.baseline] if self.baseline is not None else [])
        return all(math.isfinite(n) and n > 0 for n in numbers)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "value": self.value, "unit": self.unit}
        if self.baseline is not None:
            out["baseline"] = self.baseline
            out["ratio"] = self.ratio
        if self.goal:
            out["goal"] = self.goal
        if self.note:
            out["note"] = self.note
        if self.met is not None:
            out["met"] = self.met
        return out


@dataclass(frozen=True, slots=True)
class BenchContext:
    quick: bool
    workdir: Path
    redis_url: str
    postgres_url: str
