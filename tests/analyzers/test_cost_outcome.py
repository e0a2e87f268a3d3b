from __future__ import annotations

from typing import Any

import pytest

from signalroom.analyzers import CostAnalyzer, LeadScoreAnalyzer, OutcomeAnalyzer, run_analyzers
from signalroom.errors import AnalyzerError
from signalroom.record import SessionRecord


def _with(record: SessionRecord, **changes: Any) -> SessionRecord:
    data = record.model_dump()
    data.update(changes)
    return SessionRecord.model_validate(data)


def test_cost_from_usage_and_default_prices(seed: SessionRecord) -> None:
    record = _with(
        seed,
        usage=[
            {"kind": "llm", "provider": "api.openai.com", "model": "gpt-4.1-mini",
             "prompt_tokens": 1_000_000, "completion_tokens": 500_000, "cached_tokens": 200_000},
            {"kind": "stt", "provider": "Deepgram", "model": "nova-3", "audio_seconds": 600.0},
            {"kind": "tts", "provider": "Cartesia", "model": "sonic-2", "characters": 10_000},
        ],
    )  # fmt: skip
    result = CostAnalyzer().analyze(record)
    llm = 0.8 * 0.40 + 0.5 * 1.60 + 0.2 * 0.10
    stt = 10 * 0.0077
    tts = 0.01 * 65.0
    assert [m["usd"] for m in result["by_model"]] == pytest.approx([llm, stt, tts])
    assert result["total_usd"] == pytest.approx(llm + stt + tts)
    assert result["unknown_models"] == []


def test_unknown_model_makes_total_unknown_not_zero(seed: SessionRecord) -> None:
    record = _with(
        seed,
        usage=[
            {"kind": "llm", "provider": "openai", "model": "gpt-4o-mini", "prompt_tokens": 10},
            {"kind": "llm", "provider": "acme", "model": "mystery-1", "prompt_tokens": 10},
        ],
    )
    result = CostAnalyzer().analyze(record)
    assert result["total_usd"] is None
    assert result["unknown_models"] == ["acme/mystery-1"]
    assert result["by_model"][1]["usd"] is None


def test_scripted_models_cost_zero_and_config_prices_apply(seed: SessionRecord) -> None:
    record = _with(
        seed,
        usage=[
            {"kind": "llm", "provider": "scripted", "model": "scripted-llm", "prompt_tokens": 99},
            {"kind": "llm", "provider": "acme", "model": "m", "prompt_tokens": 2_000_000},
        ],
    )
    analyzer = CostAnalyzer({"acme/m": {"input_per_1m": 1.5, "output_per_1m": 2.0}})
    result = analyzer.analyze(record)
    assert result["by_model"][0]["usd"] == 0.0
    assert result["total_usd"] == pytest.approx(3.0)
    assert analyzer.version != CostAnalyzer().version


def test_record_without_usage_has_unknown_cost(seed: SessionRecord) -> None:
    result = CostAnalyzer().analyze(seed)
    assert result["total_usd"] is None and result["by_model"] == []


def test_outcome_booked_with_extractive_summary(seed: SessionRecord) -> None:
    result = OutcomeAnalyzer().analyze(seed)
    assert result["outcome"] == "booked"
    summary = result["summary"]
    assert "legal, team of 8" in summary
    assert "salesforce, api" in summary
    assert "How do I create templates?" in summary
    assert "Booked a meeting for John Smith" in summary
    assert "john@acme.com" not in summary


def test_outcome_abandoned_qualified_disqualified(seed: SessionRecord) -> None:
    no_booking = [c for c in seed.model_dump()["tool_calls"] if "book" not in c["tool"]]
    qualified = _with(seed, tool_calls=no_booking)
    assert OutcomeAnalyzer().analyze(qualified)["outcome"] == "qualified"
    assert OutcomeAnalyzer().analyze(_with(qualified, complete=False))["outcome"] == "abandoned"
    assert OutcomeAnalyzer().analyze(_with(qualified, duration_seconds=8.0))["outcome"] == (
        "abandoned"
    )
    strict = OutcomeAnalyzer(LeadScoreAnalyzer({"qualified_threshold": 95}))
    assert strict.analyze(qualified)["outcome"] == "disqualified"
    failed_booking = _with(
        seed, tool_calls=[{**c, "success": False} for c in seed.model_dump()["tool_calls"]]
    )
    result = OutcomeAnalyzer().analyze(failed_booking)
    assert result["outcome"] == "qualified"
    assert "did not succeed" in result["summary"]


class _Broken:
    name = "broken"
    version = "0.1"

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        raise ZeroDivisionError("division by zero")


def test_failing_analyzer_is_stored_as_error_or_raised(seed: SessionRecord) -> None:
    results = run_analyzers(seed, [_Broken(), CostAnalyzer()])
    assert "broken" in results["broken"].result["error"]
    assert "ZeroDivisionError" in results["broken"].result["error"]
    assert results["cost"].result["by_model"] == []
    with pytest.raises(AnalyzerError, match="analyzer 'broken'"):
        run_analyzers(seed, [_Broken()], on_error="raise")
