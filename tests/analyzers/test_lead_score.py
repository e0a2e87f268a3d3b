from __future__ import annotations

from signalroom.analyzers import LeadScoreAnalyzer, default_analyzers, run_analyzers
from signalroom.config import AnalyzerSettings
from signalroom.record import SessionRecord


def test_seed_record_scores_with_reasons(seed: SessionRecord) -> None:
    result = LeadScoreAnalyzer().analyze(seed)
    assert result["points"] == {"fit": 26, "need": 13, "timeline": 20, "engagement": 15}
    assert result["score"] == 74.0
    assert result["grade"] == "B"
    assert result["qualified"] is True
    assert "+15 fit: legal industry" in result["reasons"]
    assert "+20 timeline: high urgency" in result["reasons"]
    assert "+15 engagement: meeting booked" in result["reasons"]
    # Every point is explained: the reasons add up to the score.
    assert sum(int(r.split()[0]) for r in result["reasons"]) == result["score"]


def test_empty_call_is_grade_f_and_unqualified() -> None:
    record = SessionRecord.model_validate({"session_id": "s", "start_time": "2025-01-01T10:00:00"})
    result = LeadScoreAnalyzer().analyze(record)
    assert result == {
        "score": 0.0,
        "grade": "F",
        "qualified": False,
        "points": {"fit": 0, "need": 0, "timeline": 0, "engagement": 0},
        "reasons": [],
    }


def test_config_merges_over_defaults_and_changes_version(seed: SessionRecord) -> None:
    default = LeadScoreAnalyzer()
    tuned = LeadScoreAnalyzer({"timeline": {"high": 30}, "qualified_threshold": 90})
    result = tuned.analyze(seed)
    assert result["points"]["timeline"] == 30
    assert result["points"]["fit"] == 26  # untouched parts keep their defaults
    assert result["score"] == 84.0 and result["grade"] == "A"
    assert result["qualified"] is False
    assert default.version == "1.0"
    assert tuned.version.startswith("1.0+") and tuned.version != default.version


def test_score_is_capped_at_100(seed: SessionRecord) -> None:
    result = LeadScoreAnalyzer({"timeline": {"high": 500}}).analyze(seed)
    assert result["score"] == 100.0


def test_default_chain_reads_settings(seed: SessionRecord) -> None:
    settings = AnalyzerSettings(lead_score={"engagement": {"booked": 0}})
    results = run_analyzers(seed, default_analyzers(settings))
    assert list(results) == ["lead_score", "sentiment", "engagement", "cost", "outcome"]
    assert results["lead_score"].result["points"]["engagement"] == 0
