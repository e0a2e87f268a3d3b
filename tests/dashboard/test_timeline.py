"""The call page's timeline: highlights, tool calls in time order, latency per reply."""

from __future__ import annotations

from signalroom.dashboard.timeline import build_timeline, highlight
from tests.dashboard.records import PERSONAS, build_record


def test_highlight_marks_spans_case_insensitively_and_never_twice():
    evidence = [
        {"field": "team_size", "value": 12, "span": "12 People"},
        {"field": "industry", "value": "legal", "span": "legal"},
        {"field": "urgency", "value": "high", "span": "people on"},  # overlaps the first
        {"field": "monthly_volume", "value": 50, "span": "not in the text"},
    ]
    segments, found = highlight("A legal team of 12 people on it", evidence)
    marked = [(s.text, s.signal) for s in segments if s.signal]
    assert marked == [("legal", "industry"), ("12 people", "team_size")]
    assert "".join(s.text for s in segments) == "A legal team of 12 people on it"
    assert sorted(found) == [0, 1]


def test_timeline_places_signals_tools_and_latency():
    record = build_record(0, PERSONAS[0], __import__("datetime").datetime(2025, 3, 3, 9, 0))
    data = record.model_dump(mode="json")
    sentiment = {"turns": [{"turn_index": 0, "compound": 0.5}]}
    entries = build_timeline(data, sentiment)

    users = [e for e in entries if e.kind == "user"]
    assert [e.turn_index for e in users] == list(range(len(users)))
    first = users[0]
    assert [s.signal for s in first.segments if s.signal] == ["industry"]
    assert first.sentiment == 0.5
    integrations = next(
        e for e in users if any(s.signal == "integration_needs" for s in e.segments)
    )
    assert {s.text for s in integrations.segments if s.signal} == {"salesforce", "api"}

    kinds = [e.kind for e in entries]
    search = kinds.index("tool")
    # The knowledge search happened after user turn 1 and before the agent's reply to it.
    assert entries[search - 1].kind == "user" and entries[search - 1].turn_index == 1
    assert entries[search + 1].kind == "assistant"
    assert entries[-1].kind == "tool" and entries[-1].tool["tool"] == "book_sales_meeting"

    replies = [e for e in entries if e.kind == "assistant"]
    assert replies[0].latency is not None and replies[0].latency["turn_id"] == "greeting"
    want = {t.turn_id: t.e2e_latency_ms for t in record.turns}
    for reply in replies[1:]:
        assert reply.latency is not None
        assert reply.latency["e2e_latency_ms"] == want[f"turn-{reply.turn_index}"]


def test_evidence_without_a_transcript_is_still_shown(seed_record_dict):
    seed_record_dict["signal_evidence"] = [
        {"field": "industry", "value": "legal", "turn_index": 2, "span": "law firm"}
    ]
    entries = build_timeline(seed_record_dict, None)
    assert [e.kind for e in entries] == ["tool", "tool", "signals"]
    assert entries[-1].signals[0]["value"] == "legal"
