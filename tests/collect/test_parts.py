"""The recorder's pure parts: tool rows, usage rows, annotations."""

from __future__ import annotations

import json

import pytest

from signalroom.collect import CallAnnotations
from signalroom.collect.tool_calls import make_row, parse_arguments
from signalroom.collect.usage import UsageRow, summarize


def test_search_row_reads_results_from_the_json_output() -> None:
    out = json.dumps({"results_found": True, "total_results": 4, "results": []})
    row = make_row(
        "search_knowledge",
        {"query": "price?", "category": "pricing"},
        out,
        False,
        started_at=10.0,
        ended_at=10.25,
    )
    assert (row.query, row.category, row.results_found, row.total_results) == (
        "price?",
        "pricing",
        True,
        4,
    )
    assert row.duration_ms == pytest.approx(250.0) and row.success is None and row.error is None


def test_refused_booking_row_keeps_the_spoken_reason() -> None:
    args = {"customer_name": "Jo", "customer_email": "jo@x", "preferred_time": "monday"}
    row = make_row(
        "book_sales_meeting",
        args,
        "That email looks incomplete.",
        True,
        started_at=1.0,
        ended_at=1.0,
    )
    assert (row.success, row.error, row.customer_email) == (
        False,
        "That email looks incomplete.",
        "jo@x",
    )
    assert row.arguments == (("preferred_time", "monday"),)


def test_bad_arguments_and_plain_outputs_are_tolerated() -> None:
    assert parse_arguments("not json") == {} and parse_arguments("[1]") == {}
    row = make_row("other", {}, "plain text", False, started_at=2.0, ended_at=1.0)
    assert row.duration_ms == 0.0 and row.success is None and row.results_found is None


def test_summary_is_none_for_what_was_not_measured() -> None:
    rows = (UsageRow("llm", "p", "m", 100, 20, 5),)
    summary = summarize(rows)
    assert (summary.llm_tokens, summary.llm_cached_tokens) == (120, 5)
    assert summary.stt_audio_seconds is None and summary.tts_characters is None
    both = summarize((*rows, UsageRow("stt", "p", "s", audio_seconds=0.0)))
    assert both.stt_audio_seconds == 0.0  # measured zero stays zero


def test_annotations_only_move_forward() -> None:
    ann = CallAnnotations()
    ann.set_stage("greeting")
    assert ann.advance_to("solution") and not ann.advance_to("discovery")
    assert [s for s, _ in ann.stage_history] == ["greeting", "solution"]
    with pytest.raises(ValueError):
        ann.set_stage("lunch")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ann.add_note("   ")
    ann.add_note("uses DocuSign today")
    assert ann.notes[0][0] == "uses DocuSign today"
