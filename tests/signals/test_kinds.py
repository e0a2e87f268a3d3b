"""Each kind of signal, tested from its rule (docs/signals-spec.md), in every form it is said.

Tables and properties here are built from the rule (count x period, noun x phrasing), not
copied from a labeled set: the labeled sets are scored in test_dev_set / test_dev_real.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalroom.signals import detect
from signalroom.signals.phrases import words_of
from signalroom.signals.tokens import find_numbers, tokenize

EMPTY: dict[str, Any] = {
    "team_size": None,
    "monthly_volume": None,
    "integration_needs": [],
    "urgency": None,
    "industry": None,
}


def _number(text: str) -> float | None:
    words = tokenize(text, frozenset()).words
    nums = find_numbers(words)
    assert len(nums) == 1, (text, nums)
    return nums[0].value


# -- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3k", 3_000),
        ("2.5k", 2_500),
        ("1.2m", 1_200_000),
        ("1.2M", 1_200_000),
        ("4bn", 4e9),
        ("3 thousand", 3_000),
        ("3,000", 3_000),
        ("half a million", 500_000),
        ("a quarter million", 250_000),
        ("three quarters of a million", 750_000),
        ("half a dozen", 6),
        ("a dozen", 12),
        ("two hundred dozens", 2_400),
        ("twelve lakh", 1_200_000),
        ("12 lakh", 1_200_000),
        ("a lakh", 100_000),
        ("2 crore", 20_000_000),
        ("3 mil", 3_000_000),
        ("two point five million", 2_500_000),
        ("one and a half thousand", 1_500),
        ("twenty five hundred", 2_500),
    ],
)
def test_spoken_and_written_amounts(text: str, value: float) -> None:
    got = _number(text)
    assert got is not None and math.isclose(got, value), (text, got)


@pytest.mark.parametrize("text", ["the 3rd", "the 21st", "4417-1234-5678", "0042", "12:30", "95%"])
def test_ordinals_and_ids_are_not_counts(text: str) -> None:
    words = tokenize(text, frozenset()).words
    assert all(n.value is None for n in find_numbers(words))


@pytest.mark.parametrize(
    "text",
    [
        "we moved here in 2019",  # a year
        "it's $400 a month",  # a price
        "it costs 3k a month",  # money without a noun of ours
        "my order number is 58812",  # an ID
        "the room is 12 feet wide",  # a measurement
        "we're on version 3 of the app",  # a version
        "I called 5 times last week",  # a count of events
        "it weighs 40 pounds",
        "we have dozens of documents every day",  # vague
    ],
)
def test_numbers_that_count_nothing_of_ours(text: str) -> None:
    out = detect(text).to_dict()
    assert out["team_size"] is None and out["monthly_volume"] is None, out


# -- volume: any countable work item, every period form ------------------------------------

ITEMS = [
    "calls", "tickets", "orders", "units", "shipments", "claims", "invoices", "applications",
    "transactions", "documents", "contracts", "chats", "deliveries", "appointments", "payments",
    "pallets", "leads", "emails", "files", "forms",
]  # fmt: skip
PERIODS = [
    ("a day", 30.0), ("per day", 30.0), ("daily", 30.0), ("each day", 30.0),
    ("a week", 52 / 12), ("per week", 52 / 12), ("weekly", 52 / 12), ("every week", 52 / 12),
    ("a month", 1.0), ("per month", 1.0), ("monthly", 1.0), ("each month", 1.0),
    ("a quarter", 1 / 3), ("per quarter", 1 / 3), ("quarterly", 1 / 3), ("a qtr", 1 / 3),
    ("a year", 1 / 12), ("per year", 1 / 12), ("annually", 1 / 12), ("every year", 1 / 12),
    ("a yr", 1 / 12),
]  # fmt: skip
COUNTS = [("40", 40), ("3k", 3000), ("2,500", 2500), ("twelve hundred", 1200), ("1.2m", 1.2e6)]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ITEMS), st.sampled_from(PERIODS), st.sampled_from(COUNTS))
def test_volume_is_count_times_period(
    item: str, period: tuple[str, float], count: tuple[str, float]
) -> None:
    text = f"we handle about {count[0]} {item} {period[0]}"
    got = detect(text).monthly_volume
    want = round(count[1] * period[1], 1)
    assert got is not None and math.isclose(got, want, rel_tol=0.01), (text, got, want)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ITEMS), st.sampled_from(COUNTS))
def test_a_count_with_no_period_or_routine_is_no_volume(
    item: str, count: tuple[str, float]
) -> None:
    # one-off quantities and prices: no period, no processing verb
    for text in (
        f"I need to send {count[0]} {item} for the trade show",
        f"it's 5 dollars per {item.rstrip('s')}",
    ):
        assert detect(text).monthly_volume is None, text


def test_a_noun_of_no_table_counts_with_a_period() -> None:
    assert detect("we print one hundred thousand shipping labels a week").monthly_volume == (
        433333.3
    )
    assert detect("around half a million page views a month").monthly_volume is None


# -- team size: every headcount noun and phrasing ------------------------------------------

HEADS = [
    "people", "employees", "staff", "users", "seats", "licenses", "agents", "engineers",
    "associates", "reps", "nurses", "drivers", "attorneys", "accountants", "technicians",
    "part timers", "team members",
]  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(HEADS), st.sampled_from([("12", 12), ("forty", 40), ("a dozen", 12)]))
def test_headcount_nouns(head: str, count: tuple[str, int]) -> None:
    for text in (f"we have {count[0]} {head}", f"there are about {count[0]} {head} here"):
        assert detect(text).team_size == count[1], text


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("three of us", 3),
        ("a pair of us run the office", 2),
        ("it's me plus four part-timers", 5),
        ("just me", 1),
        ("we're a team of 12", 12),
        ("headcount's about 120", 120),
        ("10 to 15 people", 15),
        ("over 50 employees", 50),
        ("25 people in sales and another 10 in support", 35),
        ("142 people on the floor, but only the twelve supervisors would use it", 12),
        ("100,000 students and staff would have access", 100_000),
    ],
)
def test_headcount_phrasings_and_bounds(text: str, team: int) -> None:
    assert detect(text).team_size == team


@pytest.mark.parametrize(
    "text",
    [
        "our customers have like 10,000 employees",  # another organization's people
        "tickets for me and my two coworkers",  # a booking
        "I need an uber that fits ten people",
        "a table for 6 at 7 pm",
        "three people at 8:30 for the movie",
        "the product supports up to 100 users per workspace",  # a product's limit
        "we had 500 people at the conference",  # attendees
        "we had twelve people on the demo call from your side",  # the vendor's people
        "we serve 2,000 customers",
    ],
)
def test_people_who_are_not_the_team(text: str) -> None:
    assert detect(text).team_size is None


# -- industry: self-descriptions in every grammatical form ---------------------------------


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("small law firm, three of us", "legal"),
        ("we're a chain of dental clinics", "healthcare"),
        ("I run a trucking company", "logistics"),
        ("our clinics are busy", "healthcare"),
        ("I'm the office manager at a small accounting practice", "finance"),
        ("I work in accounts payable at a hospital", "healthcare"),
        ("we manufacture custom cabinetry", "manufacturing"),
        ("our company builds commercial roofs", "construction"),
        ("I work for the county assessor's office", "government"),
        ("we're in real estate", "real_estate"),
        ("we're a regional credit union", "finance"),
        ("we publish a weekly newspaper", "media"),
        ("we install solar panels on homes", "energy"),
        ("a dozen lawyers here at the firm", "legal"),
    ],
)
def test_self_descriptions(text: str, industry: str) -> None:
    assert detect(text).industry == industry


@pytest.mark.parametrize(
    "text",
    [
        "I need car insurance",  # buying a product of the industry
        "a real estate loan for my shop",
        "my sister works at a hospital",  # someone else's organization
        "I need a lawyer for my divorce",
        "we sell to hospitals",  # customers
        "the claims department is 33 adjusters",  # roles alone
        "we're hunting for a new tool",  # a verb, not the hunting trade
        "my chase bank account is locked",
    ],
)
def test_not_a_self_description(text: str) -> None:
    assert detect(text).industry is None


# -- urgency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("we need this live by Friday", "high"),
        ("ideally before the end of the week", "high"),
        ("we want to move as fast as possible", "high"),
        ("I need my card now", "high"),
        ("can you send the order form today, we want to sign", "high"),
        ("I'm in a rush", "high"),
        ("we need something in place like yesterday", "high"),
        ("hoping to have something in place this quarter", "medium"),
        ("budget opens next qtr so that's when we'd buy", "medium"),
        ("we're just kind of exploring what's out there", "low"),
        ("no rush, we'd look at this next yr", "low"),
        ("we might revisit this two years from now", "low"),
    ],
)
def test_urgency_levels(text: str, level: str) -> None:
    assert detect(text).urgency == level


@pytest.mark.parametrize(
    "text",
    [
        "I tried a transfer earlier this week",  # the past
        "the old vendor shut us off last Friday",
        "sent the money immediately but it's not there",
        "my boss needs his report by Friday",  # someone else's deadline
        "if I go to canada next month do I need a visa",  # scheduling
        "put it on my calendar for every day this week",
        "15 days from today, what will the date be",
        "move it to my emergency savings account",  # looks like an urgency word
        "no fire drill, just curious about pricing",
    ],
)
def test_time_words_that_are_not_the_speakers_haste(text: str) -> None:
    assert detect(text).urgency in (None, "low")


# -- integrations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("we're on hubspot and it's a mess", ["hubspot"]),
        ("check outlook", ["outlook"]),
        ("we run sap", ["sap"]),
        ("the agents keep getting logged out of outlook", ["outlook"]),
        ("we're a Microsoft shop, teams and outlook mostly", ["outlook", "teams"]),
    ],
)
def test_tools_used_or_troubling_the_speaker(text: str, tools: list[str]) -> None:
    assert detect(text).integration_needs == tools


@pytest.mark.parametrize(
    "text",
    [
        "the weather outlook is bad",
        "we partner with Salesforce on some deals",
        "it's kind of like Zendesk but cheaper",
        "Are there screenings like D-Box or IMAX?",
        "put it in a box",
        "we looked at hubspot last year but didn't buy it",
        "Salesforce stock fell again",
        "slack off a bit",
    ],
)
def test_words_that_collide_with_tool_names(text: str) -> None:
    assert detect(text).integration_needs == []


# -- the examples a new user tried ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("about forty people, doing maybe 3k calls a month", {"team_size": 40, "monthly_volume": 3000.0}),
        ("3,000 calls a month", {"monthly_volume": 3000.0}),
        ("3,000 documents a month", {"monthly_volume": 3000.0}),
        ("Small law firm, three of us.", {"team_size": 3, "industry": "legal"}),
        ("we're a chain of dental clinics", {"industry": "healthcare"}),
    ],
)  # fmt: skip
def test_newcomer_examples(text: str, want: dict[str, Any]) -> None:
    assert detect(text).to_dict() == {**EMPTY, **want}


def test_vocabulary_words_are_lowercase_tokens() -> None:
    # the spoken forms above go through the same tokenizer as the vocabulary
    assert words_of("Small law-firm") == ("small", "law", "firm")


def test_warm_builds_the_default_tables_once() -> None:
    from signalroom.signals import default_detector, warm

    assert warm() is default_detector() is warm()


@pytest.mark.parametrize(
    "text",
    [
        "italian restaurant, find one near us",
        "hotel, please book us a room",
        "Sushi place, is it open?",
    ],
)
def test_a_place_asked_for_is_no_fragment_self_description(text: str) -> None:
    assert detect(text).industry is None
