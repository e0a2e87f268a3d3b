"""Outcome of a call, and an extractive summary built from its facts (no LLM).

Outcomes, first match wins:

- ``booked``: a booking tool (``book_sales_meeting`` or any tool whose name has "book") succeeded;
- ``abandoned``: the call is incomplete (a checkpoint, or it dropped) or very short
  (under ``min_seconds`` or fewer than ``min_user_turns`` caller turns);
- ``qualified``: the lead score reached its qualification threshold;
- ``disqualified``: a complete call that did not qualify.

The summary is a few sentences picked from what the record knows: the caller's signals, the
questions they asked, the booking and the grade. It never invents anything, so it is safe to
show next to the record it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalroom.analyzers.base import config_version, deep_merge
from signalroom.analyzers.lead_score import LeadScoreAnalyzer, is_booking_tool, is_knowledge_tool
from signalroom.record import SessionRecord

CODE_VERSION = "1.0"
DEFAULT_RULES: dict[str, Any] = {"min_seconds": 30.0, "min_user_turns": 2, "max_questions": 3}


class OutcomeAnalyzer:
    name = "outcome"

    def __init__(
        self, lead_score: LeadScoreAnalyzer | None = None, rules: Mapping[str, Any] | None = None
    ) -> None:
        self.lead_score = lead_score or LeadScoreAnalyzer()
        self.rules = deep_merge(DEFAULT_RULES, rules or {})
        # The outcome depends on the qualification rubric, so its version follows it.
        self.version = config_version(
            CODE_VERSION, {"rules": self.rules, "lead_score": self.lead_score.version},
            {"rules": DEFAULT_RULES, "lead_score": "1.0"},
        )  # fmt: skip

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        score = self.lead_score.analyze(record)
        booking = next(
            (c for c in record.tool_calls if is_booking_tool(c.tool) and c.success is True), None
        )
        if booking is not None:
            outcome = "booked"
        elif self._abandoned(record):
            outcome = "abandoned"
        elif score["qualified"]:
            outcome = "qualified"
        else:
            outcome = "disqualified"
        return {"outcome": outcome, "summary": self._summary(record, outcome, score)}

    def _abandoned(self, record: SessionRecord) -> bool:
        if not record.complete:
            return True
        duration = record.duration_seconds
        if duration is not None and duration < float(self.rules["min_seconds"]):
            return True
        return record.user_turns is not None and record.user_turns < int(
            self.rules["min_user_turns"]
        )

    def _summary(self, record: SessionRecord, outcome: str, score: dict[str, Any]) -> str:
        s = record.discovered_signals
        sentences: list[str] = []
        who = []
        if s.industry:
            who.append(s.industry.replace("_", " "))
        who.append(f"team of {s.team_size}" if s.team_size is not None else "team size unknown")
        facts = [", ".join(who)]
        if s.monthly_volume is not None:
            facts.append(f"about {s.monthly_volume:g} documents a month")
        if s.urgency:
            facts.append(f"{s.urgency} urgency")
        sentences.append("Caller: " + "; ".join(facts) + ".")
        if s.integration_needs:
            sentences.append("Needs integrations with " + ", ".join(s.integration_needs) + ".")
        questions = [c.query for c in record.tool_calls if is_knowledge_tool(c.tool) and c.query]
        limit = int(self.rules["max_questions"])
        if questions:
            shown = "; ".join(q.strip().rstrip("?") + "?" for q in questions[:limit])
            more = f" (+{len(questions) - limit} more)" if len(questions) > limit else ""
            sentences.append(f"Asked: {shown}{more}")
        booking = next(
            (c for c in record.tool_calls if is_booking_tool(c.tool) and c.success is True), None
        )
        if booking is not None:
            name = f" for {booking.customer_name}" if booking.customer_name else ""
            sentences.append(f"Booked a meeting{name}.")
        elif any(is_booking_tool(c.tool) for c in record.tool_calls):
            sentences.append("A booking was attempted but did not succeed.")
        sentences.append(
            f"Outcome: {outcome}; lead grade {score['grade']} (score {score['score']:g})."
        )
        return " ".join(sentences)
