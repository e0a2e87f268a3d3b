"""The detector's fast paths give exactly what the plain algorithm gives.

The tokenizer splits ASCII text on whitespace and runs the pattern only on chunks that need
it; offsets are found by walking with ``str.find``; the phrase scan reports where numbers may
start. Each is compared here with the straightforward version on generated text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from signalroom.signals import SignalState, default_detector
from signalroom.signals.phrases import ASCII_TOKEN
from signalroom.signals.rules import FAMILIES
from signalroom.signals.tokens import DIGIT_STARTS, _split_ascii, find_numbers, tokenize

#: Characters that sit on every branch and boundary of the ASCII tokenizer.
ASCII_EDGES = "abzAZ09 '\t\n\x0b\x0c\r\x1c\x1f.,?!;:#$-/%_()\"kstndrh"
SPEECH = [
    "we're", "a", "team", "of", "twenty", "five", "hundred", "and", "a", "half", "dozen",
    "couple", "um", "uh", "like", "we", "we", "10-15", "$500", "1.5k", "2,000", "3pm", "4:30",
    "people", "contracts", "a", "week", "Outlook", "teams", "box", ",", ".", "?", "law", "firm",
    "between", "10", "and", "15", "point", "million", "half", "an", "hundred", "12", "12",
]  # fmt: skip


@given(st.text(alphabet=ASCII_EDGES, max_size=80))
@settings(max_examples=600)
def test_ascii_split_matches_the_tokenizer_pattern(text: str) -> None:
    lowered = text.lower()
    tokens, digits = _split_ascii(lowered)
    assert tokens == ASCII_TOKEN.findall(lowered)
    assert digits == [i for i, t in enumerate(tokens) if t[0] in DIGIT_STARTS]


@given(st.text(alphabet=ASCII_EDGES, max_size=80) | st.lists(st.sampled_from(SPEECH)).map(" ".join))
@settings(max_examples=400)
def test_offsets_found_by_walking_match_the_pattern_spans(text: str) -> None:
    tk = tokenize(text, default_detector()._rules.fillers)
    raw_spans = [m.span() for m in ASCII_TOKEN.finditer(text.lower())]
    kept = list(tk._kept if tk._kept is not None else range(len(tk.words)))
    if kept:  # a word in the middle first: the walk stops there and later resumes
        middle = len(kept) // 2
        assert tk.span(middle, middle + 1) == raw_spans[kept[middle]]
    for i, k in enumerate(kept):
        assert tk.span(i, i + 1) == raw_spans[k]


@given(st.lists(st.sampled_from(SPEECH), max_size=40).map(" ".join))
@settings(max_examples=400)
def test_number_starts_from_the_scan_find_the_same_numbers(text: str) -> None:
    rules = default_detector()._rules
    tk = tokenize(text, rules.fillers)
    if not tk.words:
        return
    hits, number_words = rules.scan(tk.words)
    assert len(hits) == FAMILIES
    starts = sorted(tk.digits + number_words)
    assert find_numbers(tk.words, starts) == find_numbers(tk.words)


def test_state_takes_unix_times_and_reports_them_as_utc() -> None:
    state = SignalState()
    state.merge_text("we're a team of 12", at=1_700_000_000.0, turn_index=0)
    (evidence,) = state.evidence()
    assert evidence.at == datetime.fromtimestamp(1_700_000_000.0, tz=UTC)
    assert (evidence.value, evidence.span, evidence.turn_index) == (12, "team of 12", 0)


def test_a_repeated_statement_keeps_the_first_evidence() -> None:
    state = SignalState()
    state.merge_text("we're 12 people", at=1.0, turn_index=0)
    state.merge_text("yes, 12 people", at=2.0, turn_index=1)
    assert [(e.turn_index, e.span) for e in state.evidence()] == [(0, "12 people")]
