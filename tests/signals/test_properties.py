"""Property tests: any input is handled with well-formed output.

How long the 100 KB adversarial inputs take is a figure of ``signalroom bench``
(``detect_adversarial_100kb_ms``); here a generous per-test timeout only stops a hang, such as
catastrophic regex backtracking.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalroom.signals import INDUSTRIES, detect_with_evidence, warm


@pytest.fixture(autouse=True, scope="module")
def _tables_built() -> None:
    """Build the tables before any example runs: the build is not what is measured."""
    warm()


WORDS = [
    "we're", "a", "team", "of", "twenty", "five", "to", "thirty", "hundred", "thousand", "and",
    "dozen", "couple", "half", "million", "people", "contracts", "a", "week", "per", "month",
    "salesforce", "box", "teams", "outlook", "law", "firm", "clinic", "asap", "no", "rush",
    "between", "10", "15", "2,000", "1.5k", "$500", "-", "um", "uh", "like", "in", "the",
    "next", "two", "weeks", "not", "urgent", "care", "our", "i'm", "of", "us", "just", "me",
]  # fmt: skip


def _check(text: str) -> None:
    signals, evidence = detect_with_evidence(text)
    out = signals.to_dict()
    assert out["team_size"] is None or (isinstance(out["team_size"], int) and out["team_size"] >= 1)
    volume = out["monthly_volume"]
    assert volume is None or (volume >= 0 and round(volume, 1) == volume)
    assert out["integration_needs"] == sorted(set(out["integration_needs"]))
    assert out["urgency"] in (None, "high", "medium", "low")
    assert out["industry"] is None or out["industry"] in INDUSTRIES
    for ev in evidence:
        start, end = ev.span
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == ev.text


@given(st.text(max_size=400))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_text(text: str) -> None:
    _check(text)


@given(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join))
@settings(max_examples=400)
def test_vocabulary_soup(text: str) -> None:
    _check(text)


@given(st.text(alphabet="İıßẞﬁΣσς’'-.,$0123456789 ", max_size=200))
@settings(max_examples=200)
def test_unicode_case_folding_keeps_offsets(text: str) -> None:
    _check(text + " we use Salesforce İ and 12 people")


ADVERSARIAL = [
    "1" * 100_000,
    "1." * 50_000,
    "1-" * 50_000,
    "1," * 50_000,
    "a'" * 50_000,
    "$" * 100_000,
    "one " * 25_000,
    "four one five " * 7_000,
    "a hundred and " * 7_000,
    "twenty five to thirty to " * 4_000,
    "between 10 and 15 and " * 5_000,
    "we're a " * 12_000,
    "a couple of " * 8_000,
    "every two weeks " * 6_000,
    "salesforce and " * 7_000,
    "salesforce stock " * 6_000,
    "box and " * 12_000,
    "we don't use slack " * 5_000,
    "5 contracts a week " * 5_000,
    "12 people at the gala " * 4_000,
    "we process about 300 " * 5_000,
    "about " * 16_000 + "5 people",
    "5 or so " * 12_000,
    "we're in " * 11_000,
    "need it this week " * 5_000,
    "within the next 3 weeks " * 4_000,
    "uh " * 33_000,
    "İ" * 100_000,
    "é’" * 50_000,
]


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:16]))
def test_adversarial_100kb_inputs_are_handled(text: str) -> None:
    _check(text)


@pytest.mark.slow
@pytest.mark.timeout(240)
@given(st.text(min_size=1, max_size=20).map(lambda s: s * (100_000 // len(s) + 1)))
@settings(max_examples=15, deadline=None)
def test_random_repetitions_of_100kb_are_handled(text: str) -> None:
    _check(text)
