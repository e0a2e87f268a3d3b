"""Context rules that keep ordinary support and earnings speech from yielding signals.

Each rule is checked on both sides: the sentence it must silence and a close sentence where
the signal is real, so a rule that over-reaches fails here too.
"""

from __future__ import annotations

import pytest

from signalroom.signals import detect


@pytest.mark.parametrize(
    "text",
    [
        "I need to upload 3 files but it keeps failing",
        "I want to send 2 invoices and the button is grey",
        "it won't scan 4 pages at once",
    ],
)
def test_a_single_act_is_not_a_monthly_volume(text: str) -> None:
    assert detect(text).monthly_volume is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("we process 300 invoices", 300.0),
        ("we have to review about 200 contracts", 200.0),
        ("we need to process 300 invoices a week", 1300.0),
    ],
)
def test_a_habitual_or_periodic_volume_still_counts(text: str, want: float) -> None:
    assert detect(text).monthly_volume == pytest.approx(want, rel=0.01)


@pytest.mark.parametrize(
    "text",
    ["the bug impacted 70 users yesterday", "the outage affected roughly 300 employees"],
)
def test_people_affected_by_an_incident_are_not_a_headcount(text: str) -> None:
    assert detect(text).team_size is None


def test_users_of_the_product_still_count() -> None:
    assert detect("we have 70 users on the platform").team_size == 70


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("our sales force grew by a third", []),
        ("the sales force hit its targets", []),
        ("we sync everything to sales force", ["salesforce"]),
        ("the sales force integration broke", ["salesforce"]),
        ("we live in salesforce", ["salesforce"]),
    ],
)
def test_two_word_sales_force_needs_a_usage_frame(text: str, want: list[str]) -> None:
    assert detect(text).integration_needs == want


@pytest.mark.parametrize(
    "text", ["the slack alerts are delayed", "the slack notifications stopped"]
)
def test_a_product_noun_after_slack_overrides_the_article(text: str) -> None:
    assert detect(text).integration_needs == ["slack"]


def test_slack_as_a_common_noun_is_still_ignored() -> None:
    assert detect("there is some slack in the schedule").integration_needs == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("costs fell immediately after the merger", None),
        ("the stock rose immediately following the report", None),
        ("we need it immediately", "high"),
    ],
)
def test_immediately_as_a_time_connector_is_not_urgency(text: str, want: str | None) -> None:
    assert detect(text).urgency == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("our lease runs out in three weeks and we need a new system", "high"),
        ("the contract is up in about two months", "medium"),
    ],
)
def test_an_expiring_agreement_gives_a_horizon_its_intent(text: str, want: str) -> None:
    assert detect(text).urgency == want
