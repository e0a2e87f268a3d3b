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
from datetime import UTC, datetime
from typing import Any

from signalroom.record import SignalEvidence
from signalroom.signals.detector import Detector, default_detector
from signalroom.signals.model import FIELDS, INDUSTRIES, URGENCY_LEVELS, Signals

_SPAN_CHARS = 80
_RANK = {level: rank for rank, level in enumerate(URGENCY_LEVELS)}
_CORRECTION = re.compile(
    r"\b(?:actually|sorry|i mean|correction|to be clear|rather|scratch that)\b"
)
_SOURCES = ("pattern", "tool")
_SCALARS = ("team_size", "monthly_volume", "urgency", "industry")
#: (field, value, source, turn_index, at, span) of one piece of evidence.
EvidenceRow = tuple[str, Any, str, int | None, datetime | float | None, str | None]


class _Said:
    """One channel's statement of a value; ``at`` stays as given (a datetime or a unix time)
    until evidence is read, so the call path makes no datetime."""

    __slots__ = ("at", "source", "span", "turn_index", "value")

    def __init__(
        self,
        value: int | float | str,
        source: str,
        at: datetime | float | None,
        turn_index: int | None,
        span: str | None,
    ) -> None:
        self.value = value
        self.source = source
        self.at = at
        self.turn_index = turn_index
        self.span = span[:_SPAN_CHARS] if span else None


class SignalState:
    """Merged signals of one call. Not thread-safe: one recorder owns it.

    Storage is made on the first value: a call that states nothing keeps two ``None``s.
    """

    __slots__ = ("_detector", "_held", "_integrations")

    def __init__(self, detector: Detector | None = None) -> None:
        self._detector = detector
        #: scalar field -> statements of its current value (one per channel)
        self._held: dict[str, list[_Said]] | None = None
        self._integrations: dict[str, list[_Said]] | None = None

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

    def update(self, text: str, *, at: datetime | float, turn_index: int) -> dict[str, Any]:
        """Detect signals in one user turn, merge them, and return the turn's own signals."""
        return self.merge_text(text, at=at, turn_index=turn_index).to_dict()

    def merge_text(self, text: str, *, at: datetime | float, turn_index: int) -> Signals:
        """:meth:`update` without the dict: what the recorder calls on every user turn."""
        signals, found, tk = self.detector.detect_found(text)
        for f in found:
            target = self._target(f.field, f.value, "pattern", turn_index, correction=text)
            if target is not None:  # the matched words are cut out only for kept evidence
                target.append(_Said(f.value, "pattern", at, turn_index, tk.snippet(f.i, f.j)))
        return signals

    def apply(
        self,
        field: str,
        value: Any,
        *,
        source: str = "tool",
        at: datetime | float,
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
        target = self._target(field, normalized, source, turn_index, correction=None)
        if target is not None:
            target.append(_Said(normalized, source, at, turn_index, span))

    def snapshot(self) -> dict[str, Any]:
        """The merged view, shaped like ``record.DiscoveredSignals``."""
        held = self._held or {}
        return {
            "team_size": _value(held.get("team_size")),
            "monthly_volume": _value(held.get("monthly_volume")),
            "integration_needs": sorted(self._integrations or ()),
            "urgency": _value(held.get("urgency")),
            "industry": _value(held.get("industry")),
        }

    def evidence_rows(self) -> list[EvidenceRow]:
        """Evidence for every value held, one row per channel that stated it, as plain
        tuples: cheap to take on the call path, turned into models by :func:`evidence_models`."""
        out: list[EvidenceRow] = []
        held = self._held or {}
        for field in _SCALARS:
            out.extend(_row(field, said) for said in held.get(field, ()))
        integrations = self._integrations or {}
        for name in sorted(integrations):
            out.extend(_row("integration_needs", said) for said in integrations[name])
        return out

    def evidence(self) -> list[SignalEvidence]:
        """Evidence for every value held, one entry per channel that stated it."""
        return evidence_models(self.evidence_rows())

    # -- merging ---------------------------------------------------------------------------

    def _target(
        self,
        field: str,
        value: int | float | str,
        source: str,
        turn_index: int | None,
        *,
        correction: str | None,
    ) -> list[_Said] | None:
        """Where a new statement of ``value`` goes: the list to append it to (emptied when it
        replaces the value held), or None when it changes nothing.

        ``correction``: the turn's text, read for correction markers only when an industry
        would change (a tool report always counts as deliberate).
        """
        if field == "integration_needs":
            if self._integrations is None:
                self._integrations = {}
            held = self._integrations.get(str(value))
            if held is None:
                held = self._integrations[str(value)] = []
            return None if _stated(held, source) else held
        if self._held is None:
            self._held = {}
        held = self._held.get(field)
        if held is None:
            held = self._held[field] = []
        if not held or held[0].value == value:
            return None if _stated(held, source) else held
        current = held[0]
        if field in ("team_size", "monthly_volume"):
            stale = (
                turn_index is not None
                and current.turn_index is not None
                and turn_index < current.turn_index
            )
            replace = not stale
        elif field == "urgency":
            replace = _RANK[str(value)] > _RANK[str(current.value)]
        else:  # industry
            replace = (
                source == "tool"
                or correction is None
                or bool(_CORRECTION.search(correction.lower()))
            )
        if not replace:
            return None
        held.clear()
        return held

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


def _stated(held: list[_Said], source: str) -> bool:
    """Whether a channel already stated the value: its first statement is the evidence."""
    return any(s.source == source for s in held)


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


def _value(held: list[_Said] | None) -> Any:
    return held[0].value if held else None


def _row(field: str, said: _Said) -> EvidenceRow:
    return (field, said.value, said.source, said.turn_index, said.at, said.span)


def evidence_models(rows: list[EvidenceRow]) -> list[SignalEvidence]:
    """The record's ``SignalEvidence`` models of :meth:`SignalState.evidence_rows`."""
    return [
        SignalEvidence.model_validate(
            {
                "field": field,
                "value": value,
                "source": source,
                "turn_index": turn_index,
                "at": datetime.fromtimestamp(at, tz=UTC) if isinstance(at, int | float) else at,
                "span": span,
            }
        )
        for field, value, source, turn_index, at, span in rows
    ]
