"""Lead score: explainable points for fit, need, timeline and engagement, graded A–F.

BANT-style: *fit* (industry, team size, monthly volume) stands in for budget and authority,
*need* counts integrations asked for and product questions, *timeline* is urgency, and
*engagement* rewards a call that went somewhere (a booked meeting, a real conversation). Every
point comes with a reason line, so a rep can see why a lead got its grade. Weights and thresholds
are configuration (``[analyzers.lead_score]`` merged over :data:`DEFAULT_RUBRIC`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, ValidationError

from signalroom.analyzers.base import config_version, deep_merge
from signalroom.errors import ConfigError
from signalroom.record import SessionRecord

CODE_VERSION = "1.0"

DEFAULT_RUBRIC: dict[str, Any] = {
    "fit": {
        # Industries whose document volume the product is built for score highest.
        "industry": {
            "legal": 15,
            "finance": 15,
            "insurance": 12,
            "healthcare": 12,
            "real_estate": 12,
            "government": 8,
            "default": 5,
        },
        # [minimum, points], checked from the top; the first minimum reached wins.
        "team_size": [[50, 15], [10, 10], [3, 5], [1, 2]],
        "monthly_volume": [[1000, 10], [100, 6], [20, 3]],
    },
    "need": {
        "per_integration": 5,
        "max_integrations": 3,
        "per_knowledge_question": 3,
        "max_knowledge_questions": 3,
    },
    "timeline": {"high": 20, "medium": 10, "low": 3},
    "engagement": {"booked": 15, "per_user_turn": 1, "max_user_turns": 5},
    # Minimum score for each grade, best first; below the last one is F.
    "grades": {"A": 75, "B": 60, "C": 40, "D": 20},
    "qualified_threshold": 50,
}


class _Part(BaseModel):
    # A misspelt key is refused at start-up rather than ignored. Numbers are Strict*: a quoted
    # "75" would otherwise pass here and then fail mid-analysis when compared with a score.
    model_config = ConfigDict(extra="forbid")


class _Fit(_Part):
    industry: dict[str, StrictInt]
    team_size: list[tuple[StrictFloat, StrictInt]]
    monthly_volume: list[tuple[StrictFloat, StrictInt]]


class _Need(_Part):
    per_integration: StrictInt
    max_integrations: StrictInt
    per_knowledge_question: StrictInt
    max_knowledge_questions: StrictInt


class _Timeline(_Part):
    high: StrictInt
    medium: StrictInt
    low: StrictInt


class _Engagement(_Part):
    booked: StrictInt
    per_user_turn: StrictInt
    max_user_turns: StrictInt


class _Rubric(_Part):
    """The shape of a merged rubric; validation only, the analyzer reads the plain mapping."""

    fit: _Fit
    need: _Need
    timeline: _Timeline
    engagement: _Engagement
    grades: dict[str, StrictFloat]
    qualified_threshold: StrictFloat


def checked_rubric(override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged over :data:`DEFAULT_RUBRIC`, or ``ConfigError`` naming each bad key."""
    rubric = deep_merge(DEFAULT_RUBRIC, override)
    try:
        _Rubric.model_validate(rubric)
    except ValidationError as exc:
        problems = "; ".join(
            ".".join(str(part) for part in ("analyzers", "lead_score", *error["loc"]))
            + f": {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(
            f"invalid lead-score rubric: {problems}",
            hint="see docs/configuration.md for the [analyzers.lead_score] keys",
        ) from None
    return rubric


KNOWLEDGE_TOOLS = ("search_knowledge",)


def is_knowledge_tool(name: str) -> bool:
    return name.endswith(KNOWLEDGE_TOOLS)


def is_booking_tool(name: str) -> bool:
    return "book" in name


def booked(record: SessionRecord) -> bool:
    return any(is_booking_tool(c.tool) and c.success is True for c in record.tool_calls)


class LeadScoreAnalyzer:
    name = "lead_score"

    def __init__(self, rubric: Mapping[str, Any] | None = None) -> None:
        self.rubric = checked_rubric(rubric or {})
        self.version = config_version(CODE_VERSION, self.rubric, DEFAULT_RUBRIC)
        # The outcome analyzer asks for the score of the record the chain just scored: the
        # last (record, result) answers it without scoring twice. One tuple, replaced whole,
        # so threads analyzing other records at once never see a torn pair.
        self._last: tuple[SessionRecord, dict[str, Any]] | None = None

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        last = self._last
        if last is not None and last[0] is record:
            return last[1]
        result = self._score(record)
        self._last = (record, result)
        return result

    def _score(self, record: SessionRecord) -> dict[str, Any]:
        reasons: list[str] = []
        points = {
            "fit": self._fit(record, reasons),
            "need": self._need(record, reasons),
            "timeline": self._timeline(record, reasons),
            "engagement": self._engagement(record, reasons),
        }
        score = float(max(0, min(100, sum(points.values()))))
        grade = "F"
        for letter, minimum in self.rubric["grades"].items():
            if score >= minimum:
                grade = letter
                break
        return {
            "score": score,
            "grade": grade,
            "qualified": score >= self.rubric["qualified_threshold"],
            "points": points,
            "reasons": reasons,
        }

    def _fit(self, record: SessionRecord, reasons: list[str]) -> int:
        fit = self.rubric["fit"]
        signals = record.discovered_signals
        total = 0
        if signals.industry is not None:
            table = fit["industry"]
            pts = int(table.get(signals.industry, table.get("default", 0)))
            total += _add(reasons, pts, "fit", f"{signals.industry} industry")
        if signals.team_size is not None:
            pts = _tier(fit["team_size"], signals.team_size)
            total += _add(reasons, pts, "fit", f"team of {signals.team_size}")
        if signals.monthly_volume is not None:
            pts = _tier(fit["monthly_volume"], signals.monthly_volume)
            total += _add(reasons, pts, "fit", f"{signals.monthly_volume:g} documents a month")
        return total

    def _need(self, record: SessionRecord, reasons: list[str]) -> int:
        need = self.rubric["need"]
        total = 0
        integrations = record.discovered_signals.integration_needs
        counted = integrations[: int(need["max_integrations"])]
        if counted:
            pts = int(need["per_integration"]) * len(counted)
            total += _add(reasons, pts, "need", "integrations: " + ", ".join(counted))
        questions = sum(1 for c in record.tool_calls if is_knowledge_tool(c.tool))
        counted_q = min(questions, int(need["max_knowledge_questions"]))
        if counted_q:
            pts = int(need["per_knowledge_question"]) * counted_q
            plural = "s" if questions != 1 else ""
            total += _add(reasons, pts, "need", f"{questions} product question{plural} asked")
        return total

    def _timeline(self, record: SessionRecord, reasons: list[str]) -> int:
        urgency = record.discovered_signals.urgency
        if urgency is None:
            return 0
        pts = int(self.rubric["timeline"].get(urgency, 0))
        return _add(reasons, pts, "timeline", f"{urgency} urgency")

    def _engagement(self, record: SessionRecord, reasons: list[str]) -> int:
        eng = self.rubric["engagement"]
        total = 0
        if booked(record):
            total += _add(reasons, int(eng["booked"]), "engagement", "meeting booked")
        turns = _user_turns(record)
        counted = min(turns, int(eng["max_user_turns"]))
        if counted:
            pts = int(eng["per_user_turn"]) * counted
            total += _add(reasons, pts, "engagement", f"{turns} user turns")
        return total


def _user_turns(record: SessionRecord) -> int:
    if record.user_turns is not None:
        return record.user_turns
    if record.transcript is not None:
        return sum(1 for item in record.transcript if item.role == "user")
    return 0


def _tier(tiers: list[list[float]], value: float) -> int:
    for minimum, pts in tiers:
        if value >= minimum:
            return int(pts)
    return 0


def _add(reasons: list[str], pts: int, part: str, why: str) -> int:
    if pts:
        reasons.append(f"{pts:+d} {part}: {why}")
    return pts
