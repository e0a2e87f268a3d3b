"""The session's view of the five signals, merged turn by turn, with the evidence for each.

Two channels feed it: ``update`` runs the detector on a user turn (source ``"pattern"``) and
``apply`` takes a value the LLM reported through the ``record_signal`` tool (source
``"tool"``). Merge rules (docs/signals.md):

- team_size, monthly_volume: the latest explicit value wins, so a later turn corrects an
  earlier one. A value about an older turn than the one held is stale and ignored.
- integration_needs: accumulate (sorted union); nothing is removed.
- urgency: the strongest stated level wins (high > medium > low).
- industry: the first self-description is kept. It is replaced by a tool report (the model
  heard the whole call and reports deliberately) or by a turn that marks a correction
  ("actually", "sorry", "i mean", ...).

Each value keeps one piece of evidence per channel that stated it: turn index, time, source
and the matched words (clipped). State is a handful of slotted objects, never per-turn copies.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from signalroom.record import SignalEvidence
from signalroom.signals.detector import Detector, default_detector
from signalroom.signals.model import FIELDS, INDUSTRIES, URGENCY_LEVELS

_SPAN_CHARS = 80
_RANK = {level: rank for rank, level in enumerate(URGENCY_LEVELS)}
_CORRECTION = re.compile(
    r"\b(?:actually|sorry|i mean|correction|to be clear|rather|scratch that)\b"
)
_SOURCES = ("pattern", "tool")
_SCALARS = ("team_size", "monthly_volume", "urgency", "industry")


class _Said:
    """One channel's statement of a value."""

    __slots__ = ("at", "source", "span", "turn_index", "value")

    def __init__(
        self,
        value: int | float | str,
        source: str,
        at: datetime | None,
        turn_index: int | None,
        span: str | None,
    ) -> None:
        self.value = value
        self.source = source
        self.at = at
        self.turn_index = turn_index
        self.span = span[:_SPAN_CHARS] if span else None


class SignalState:
    """Merged signals of one call. Not thread-safe: one recorder owns it."""

    __slots__ = (
        "_detector",
        "_industry",
        "_integrations",
        "_monthly_volume",
        "_team_size",
        "_urgency",
    )

    def __init__(self, detector: Detector | None = None) -> None:
        self._detector = detector
        self._team_size: list[_Said] = []
        self._monthly_volume: list[_Said] = []
        self._urgency: list[_Said] = []
        self._industry: list[_Said] = []
        self._integrations: dict[str, list[_Said]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in self.__slots__}
        if self._detector is default_detector():
            state["_detector"] = None  # rebuilt on use; no need to carry the tables
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    @property
    def detector(self) -> Detector:
        return self._detector if self._detector is not None else default_detector()

    def update(self, text: str, *, at: datetime, turn_index: int) -> dict[str, Any]:
        """Detect signals in one user turn, merge them, and return the turn's own signals."""
        signals, evidence = self.detector.detect_with_evidence(text)
        corrected = bool(_CORRECTION.search(text.lower())) if evidence else False
        for ev in evidence:
            said = _Said(ev.value, "pattern", at, turn_index, ev.text)
            self._merge(ev.field, said, corrected=corrected)
        return signals.to_dict()

    def apply(
        self,
        field: str,
        value: Any,
        *,
        source: str = "tool",
        at: datetime,
        turn_index: int | None = None,
        span: str | None = None,
    ) -> None:
        """Merge a value reported outside the detector (the ``record_signal`` tool).

        Raises ``ValueError`` naming the problem when the field, value or source is invalid.
        """
        if source not in _SOURCES:
            raise ValueError(f"source must be one of {', '.join(_SOURCES)}, got {source!r}")
        if field == "integration_needs" and isinstance(value, list | tuple):
            for item in value:
                self.apply(field, item, source=source, at=at, turn_index=turn_index, span=span)
            return
        normalized = self._normalize(field, value)
        self._merge(field, _Said(normalized, source, at, turn_index, span), corrected=True)

    def snapshot(self) -> dict[str, Any]:
        """The merged view, shaped like ``record.DiscoveredSignals``."""
        return {
            "team_size": self._value(self._team_size),
            "monthly_volume": self._value(self._monthly_volume),
            "integration_needs": sorted(self._integrations),
            "urgency": self._value(self._urgency),
            "industry": self._value(self._industry),
        }

    def evidence(self) -> list[SignalEvidence]:
        """Evidence for every value held, one entry per channel that stated it."""
        out: list[SignalEvidence] = []
        for field in _SCALARS:
            out.extend(_record(field, said) for said in self._held(field))
        for name in sorted(self._integrations):
            out.extend(_record("integration_needs", said) for said in self._integrations[name])
        return out

    # -- merging ---------------------------------------------------------------------------

    def _held(self, field: str) -> list[_Said]:
        held: list[_Said] = getattr(self, "_" + field)
        return held

    @staticmethod
    def _value(held: list[_Said]) -> Any:
        return held[0].value if held else None

    def _merge(self, field: str, said: _Said, *, corrected: bool) -> None:
        if field == "integration_needs":
            _confirm(self._integrations.setdefault(str(said.value), []), said)
            return
        held = self._held(field)
        if not held or held[0].value == said.value:
            _confirm(held, said)
            return
        current = held[0]
        if field in ("team_size", "monthly_volume"):
            stale = (
                said.turn_index is not None
                and current.turn_index is not None
                and said.turn_index < current.turn_index
            )
            replace = not stale
        elif field == "urgency":
            replace = _RANK[str(said.value)] > _RANK[str(current.value)]
        else:  # industry
            replace = said.source == "tool" or corrected
        if replace:
            held[:] = [said]

    def _normalize(self, field: str, value: Any) -> int | float | str:
        if field not in FIELDS:
            raise ValueError(f"unknown signal field {field!r}; use one of {', '.join(FIELDS)}")
        if field in ("team_size", "monthly_volume"):
            number = _number(field, value)
            if field == "team_size":
                if number != int(number):
                    raise ValueError(f"team_size must be a whole number, got {value!r}")
                return int(number)
            return round(number, 1)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{field} needs a non-empty string, got {value!r}")
        text = value.strip().lower()
        if field == "integration_needs":
            name = self.detector.canonical_integration(text)
            if name is None:
                raise ValueError(f"integration {value!r} is not in the vocabulary")
            return name
        if field == "urgency":
            if text not in _RANK:
                raise ValueError(f"urgency must be high, medium or low, got {value!r}")
            return text
        label = text.replace(" ", "_").replace("-", "_")
        if label not in INDUSTRIES:
            raise ValueError(f"unknown industry {value!r}; use one of {', '.join(INDUSTRIES)}")
        return label


def _confirm(held: list[_Said], said: _Said) -> None:
    """Keep the first statement per channel: it is the evidence that set the value."""
    if all(s.source != said.source for s in held):
        held.append(said)


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{field} needs a number, got {value!r}")
    try:
        number = (
            float(str(value).replace(",", "").strip()) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        raise ValueError(f"{field} needs a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{field} must be a finite number >= 0, got {value!r}")
    return number


def _record(field: str, said: _Said) -> SignalEvidence:
    return SignalEvidence.model_validate(
        {
            "field": field,
            "value": said.value,
            "source": said.source,
            "turn_index": said.turn_index,
            "at": said.at,
            "span": said.span,
        }
    )
