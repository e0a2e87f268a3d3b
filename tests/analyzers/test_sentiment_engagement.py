from __future__ import annotations

from signalroom.analyzers import EngagementAnalyzer, SentimentAnalyzer
from signalroom.record import SessionRecord
from tests.analyzers.conftest import with_transcript


def test_sentiment_per_turn_mean_trend_and_most_negative(seed: SessionRecord) -> None:
    record = with_transcript(
        seed,
        [
            "this is terrible, our current tool is awful and slow",
            "ok",
            "that sounds good",
            "wonderful, I love it, thank you so much!",
        ],
    )
    result = SentimentAnalyzer().analyze(record)
    compounds = [t["compound"] for t in result["turns"]]
    assert [t["turn_index"] for t in result["turns"]] == [0, 1, 2, 3]
    assert compounds[0] < -0.5 and compounds[3] > 0.5
    assert result["mean"] == round(sum(compounds) / 4, 4)
    expected_trend = (compounds[2] + compounds[3]) / 2 - (compounds[0] + compounds[1]) / 2
    assert abs(result["trend"] - expected_trend) < 1e-3
    assert result["trend"] > 0
    assert result["most_negative"] == {"turn_index": 0, "compound": compounds[0]}


def test_sentiment_without_transcript_says_so(seed: SessionRecord) -> None:
    assert SentimentAnalyzer().analyze(seed) == {
        "mean": None,
        "trend": None,
        "turns": [],
        "most_negative": None,
        "note": "no transcript",
    }


def test_positive_call_has_no_most_negative(seed: SessionRecord) -> None:
    result = SentimentAnalyzer().analyze(with_transcript(seed, ["great, thanks"]))
    assert result["most_negative"] is None
    assert result["trend"] == 0.0


def test_engagement_counts_words_questions_and_latency(seed: SessionRecord) -> None:
    record = with_transcript(
        seed,
        ["how much does it cost?", "we have twelve people", "Can it sync with salesforce"],
        agent="Happy to help with that.",
    )
    data = record.model_dump()
    data["turns"] = [
        {"turn_id": "a", "index": 0, "e2e_latency_ms": 800.0},
        {"turn_id": "b", "index": 1, "e2e_latency_ms": 1200.0},
        {"turn_id": "c", "index": 2},
    ]
    result = EngagementAnalyzer().analyze(SessionRecord.model_validate(data))
    assert result == {
        "user_turns": 3,
        "agent_turns": 3,
        "user_words": 14,
        "agent_words": 15,
        "talk_ratio": round(14 / 29, 4),
        "questions_asked": 2,
        "avg_turn_latency_ms": 1000.0,
    }


def test_engagement_without_transcript_uses_counters(seed: SessionRecord) -> None:
    result = EngagementAnalyzer().analyze(seed)
    assert result["user_words"] is None and result["talk_ratio"] is None
    assert result["questions_asked"] == 1  # the knowledge search the caller triggered
    assert result["avg_turn_latency_ms"] is None
