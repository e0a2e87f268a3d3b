"""The call page's view model: transcript, signals, tool calls and latency on one timeline.

A signal's evidence names the user turn it came from (``turn_index``) and the words that
matched (``span``); the span is highlighted inside that utterance, and a signal whose span is
not found in the stored (possibly redacted) text is still shown as a tag on its turn. Agent
replies carry the latency measured for them: the collector labels each reply's metrics with
``turn-N`` (the user turn it answers) or ``greeting``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FIELD_LABELS = {
    "team_size": "team size",
    "monthly_volume": "monthly volume",
    "integration_needs": "integration",
    "urgency": "urgency",
    "industry": "industry",
}


@dataclass(slots=True)
class Segment:
    text: str
    signal: str | None = None  # field name when this part is a highlighted span
    value: str | None = None


@dataclass(slots=True)
class Entry:
    kind: str  # "user" | "assistant" | "system" | "tool"
    at: datetime | None
    turn_index: int | None = None
    segments: list[Segment] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    latency: dict[str, Any] | None = None
    sentiment: float | None = None
    tool: dict[str, Any] | None = None


def format_value(value: Any) -> str:
    """A signal's value for people: ``300.0`` reads "300", ``1500`` "1,500", ``real_estate``
    "real estate"; numbers a tool passed as text (``"300.0"``) read the same."""
    if isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return value.replace("_", " ")
        if not math.isfinite(number):
            return value
        value = number
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value).lower()
    if isinstance(value, int | float):
        if float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def highlight(text: str, evidence: list[dict[str, Any]]) -> tuple[list[Segment], list[int]]:
    """Split ``text`` into plain and highlighted segments; returns the indexes of evidence found.

    Overlapping spans keep the earlier match, so no character is highlighted twice.
    """
    marks: list[tuple[int, int, int]] = []
    for i, ev in enumerate(evidence):
        span = ev.get("span")
        if not span:
            continue
        match = re.search(re.escape(str(span)), text, flags=re.IGNORECASE)
        if match and all(match.end() <= s or match.start() >= e for s, e, _ in marks):
            marks.append((match.start(), match.end(), i))
    marks.sort()
    segments: list[Segment] = []
    pos = 0
    for start, end, i in marks:
        if start > pos:
            segments.append(Segment(text[pos:start]))
        ev = evidence[i]
        segments.append(Segment(text[start:end], str(ev["field"]), format_value(ev.get("value"))))
        pos = end
    if pos < len(text) or not segments:
        segments.append(Segment(text[pos:]))
    return segments, [i for _, _, i in marks]


def build_timeline(record: dict[str, Any], sentiment: dict[str, Any] | None) -> list[Entry]:
    evidence_by_turn: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for ev in record.get("signal_evidence") or []:
        evidence_by_turn[ev.get("turn_index")].append(ev)
    latency_by_key: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
    for turn in record.get("turns") or []:
        latency_by_key[str(turn.get("turn_id"))].append(turn)
    tone = {
        int(t["turn_index"]): float(t["compound"])
        for t in (sentiment or {}).get("turns", [])
        if t.get("turn_index") is not None
    }

    entries: list[Entry] = []
    shown_turns: set[int] = set()
    for item in record.get("transcript") or []:
        role = str(item.get("role", "user"))
        turn = item.get("turn_index")
        entry = Entry(kind=role, at=_parse_time(item.get("at")), turn_index=turn)
        text = str(item.get("text", ""))
        if role == "user" and turn is not None:
            found_evidence = evidence_by_turn.get(turn, [])
            entry.segments, found = highlight(text, found_evidence)
            entry.signals = [ev for i, ev in enumerate(found_evidence) if i not in found]
            entry.sentiment = tone.get(turn)
            shown_turns.add(turn)
        else:
            entry.segments = [Segment(text)]
        if role == "assistant":
            key = "greeting" if turn is None else f"turn-{turn}"
            queue = latency_by_key.get(key)
            entry.latency = queue.popleft() if queue else None
        entries.append(entry)

    tools = [
        Entry(kind="tool", at=_parse_time(call.get("timestamp")), tool=call)
        for call in record.get("tool_calls") or []
    ]
    entries = _merge_by_time(entries, tools)

    # Evidence whose turn has no transcript (transcript dropped, or reported by a tool).
    leftover = [
        ev
        for turn, evs in evidence_by_turn.items()
        if turn is None or turn not in shown_turns
        for ev in evs
    ]
    if leftover:
        entries.append(Entry(kind="signals", at=None, signals=leftover))
    return entries


def _merge_by_time(transcript: list[Entry], tools: list[Entry]) -> list[Entry]:
    """Place each tool call before the first transcript item that happened after it."""
    if not all(e.at is not None for e in transcript):
        return transcript + tools
    merged: list[Entry] = []
    pending = sorted(tools, key=lambda e: (e.at is None, _sort_key(e.at)))
    for entry in transcript:
        while (
            pending and pending[0].at is not None and _sort_key(pending[0].at) < _sort_key(entry.at)
        ):
            merged.append(pending.pop(0))
        merged.append(entry)
    return merged + pending


def _sort_key(at: datetime | None) -> float:
    if at is None:
        return float("inf")
    # Naive times (older records) are read as UTC so they order with aware ones.
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
