"""Engagement: how much each side spoke, how many questions the caller asked, how fast we replied.

Word counts and the talk ratio (the caller's share of all words) need the transcript and are
null without one; turn counts then come from the record's counters, and questions from the
knowledge searches the agent ran on the caller's behalf.
"""

from __future__ import annotations

import re
from typing import Any

from signalroom.analyzers.lead_score import is_knowledge_tool
from signalroom.record import SessionRecord

_QUESTION_START = re.compile(
    r"^\s*(?:how|what|when|where|which|who|why|can|could|do|does|is|are|will|would|should)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    return "?" in text or _QUESTION_START.match(text) is not None


class EngagementAnalyzer:
    name = "engagement"
    version = "1.0"

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        latencies = [t.e2e_latency_ms for t in record.turns if t.e2e_latency_ms is not None]
        avg_latency = round(sum(latencies) / len(latencies), 1) if latencies else None
        if record.transcript is None:
            return {
                "user_turns": record.user_turns,
                "agent_turns": record.agent_turns,
                "user_words": None,
                "agent_words": None,
                "talk_ratio": None,
                "questions_asked": sum(1 for c in record.tool_calls if is_knowledge_tool(c.tool)),
                "avg_turn_latency_ms": avg_latency,
            }
        user = [i.text for i in record.transcript if i.role == "user"]
        agent = [i.text for i in record.transcript if i.role == "assistant"]
        user_words = sum(len(t.split()) for t in user)
        agent_words = sum(len(t.split()) for t in agent)
        total = user_words + agent_words
        return {
            "user_turns": len(user),
            "agent_turns": len(agent),
            "user_words": user_words,
            "agent_words": agent_words,
            "talk_ratio": round(user_words / total, 4) if total else None,
            "questions_asked": sum(1 for t in user if is_question(t)),
            "avg_turn_latency_ms": avg_latency,
        }
