from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from signalroom.analyzers import LeadScoreAnalyzer, default_analyzers, run_analyzers
from signalroom.config import AnalyzerSettings, load_settings
from signalroom.errors import ConfigError
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


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"grade_thresholds": {"A": 80}}, "analyzers.lead_score.grade_thresholds"),
        ({"timeline": {"urgent": 5}}, "analyzers.lead_score.timeline.urgent"),
        ({"qualified_threshold": "high"}, "analyzers.lead_score.qualified_threshold"),
        ({"grades": {"A": "75"}}, "analyzers.lead_score.grades.A"),
        ({"fit": {"team_size": [[50, "lots"]]}}, "analyzers.lead_score.fit.team_size.0.1"),
        ({"need": {"per_integration": 2.5}}, "analyzers.lead_score.need.per_integration"),
        ({"engagement": 15}, "analyzers.lead_score.engagement"),
    ],
)
def test_bad_rubric_is_refused_naming_the_key(override: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        LeadScoreAnalyzer(override)


def test_rubric_typo_in_the_config_file_is_refused(home: Path) -> None:
    (home / "signalroom.toml").write_text(
        "[analyzers.lead_score]\ngrade_thresholds = { A = 80, B = 65 }\n"
    )
    settings = load_settings(home)
    with pytest.raises(ConfigError, match=r"analyzers\.lead_score\.grade_thresholds"):
        default_analyzers(settings.analyzers)


def test_documented_grades_override_is_accepted(seed: SessionRecord) -> None:
    tuned = LeadScoreAnalyzer({"grades": {"A": 70, "B": 60, "C": 40, "D": 20}})
    assert tuned.analyze(seed)["grade"] == "A"
