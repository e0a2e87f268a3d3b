"""Spoken number forms, ranges and periods (sentences written for these tests)."""

from __future__ import annotations

import pytest

from signalroom.signals import detect

TEAM = [
    ("there are 7 people on the team", 7),
    ("we're about two thousand employees", 2000),
    ("we're a team of fifteen and growing", 15),
    ("a couple of us handle intake", 2),
    ("it's literally just me", 1),
    ("just me and my paralegal honestly", 2),
    ("the two of us run the whole thing", 2),
    ("around a dozen reps would log in", 12),
    ("two dozen agents", 24),
    ("we have a hundred and five staff", 105),
    ("fifteen hundred employees across the company", 1500),
    ("3 thousand users", 3000),
    ("1.5k users on the platform", 1500),
    ("thirty to forty people", 40),
    ("somewhere between twenty and twenty five people", 25),
    ("10-12 seats", 12),
    ("five or six attorneys", 6),
    ("more than 200 employees", 200),
    ("at least 50 users", 50),
    ("we're a four-person team", 4),
    ("um we're uh we're like eighteen people", 18),
    ("we've got like forty forty-five people", 45),
    ("a dozen or so paralegals", 12),
    ("there are nine of us in the office", 9),
    ("we have 2,400 employees worldwide", 2400),
    ("a team of 8 engineers and 3 designers", 11),
    ("one thousand two hundred and thirty four employees", 1234),
    ("twenty-one hundred employees", 2100),
    ("one and a half thousand users", 1500),
    ("a hundred thousand users", 100_000),
    ("two thousand and five employees", 2005),
]

VOLUME = [
    ("we process about 400 invoices a month", 400.0),
    ("we get roughly 50 contracts per day", 1500.0),
    ("we review 90 agreements each week", 390.0),
    ("around twelve hundred claims a quarter", 400.0),
    ("about 24,000 documents a year", 2000.0),
    ("half a million pages a year", 41666.7),
    ("a couple hundred files a week", 866.7),
    ("two to three hundred contracts a month", 300.0),
    ("between 100 and 150 leases every month", 150.0),
    ("we process 300 contracts", 300.0),
    ("we handle about 2k invoices monthly", 2000.0),
    ("we sign around 60 ndas weekly", 260.0),
    ("per month we close about 35 loans", 35.0),
    ("every week we scan 5,000 pages", 21666.7),
    ("we get 40 new leads every two weeks", 86.7),
    ("we process like 3 thousand forms a month", 3000.0),
    ("fifty thousand claims annually", 4166.7),
    ("two point five million pages a year", 208333.3),
    ("a million and a half documents a year", 125000.0),
    ("1.2 million records a year", 100000.0),
    ("we process 150,000 forms a year", 12500.0),
    ("thirty-five hundred invoices a month", 3500.0),
    ("three-quarters of a million documents a year", 62500.0),
    ("a quarter of a million pages a year", 20833.3),
    ("a quarter million files a year", 20833.3),
    ("we get a hundred and one requests every single day", 3030.0),
]


VAGUE = [
    "a few people would use it",
    "a few hundred people",
    "hundreds of contracts a month",
    "dozens of lawyers",
    "a handful of us",
    "lots of documents every day",
    "several thousand files a year",
    "we're a few dozen people",
    "several dozen users",
    "we have a quarter of the staff on it",
]


@pytest.mark.parametrize("text", VAGUE)
def test_vague_quantities_are_null(text: str) -> None:
    signals = detect(text)
    assert signals.team_size is None
    assert signals.monthly_volume is None


@pytest.mark.parametrize(("text", "want"), TEAM)
def test_team_size_number_forms(text: str, want: int) -> None:
    assert detect(text).team_size == want


@pytest.mark.parametrize(("text", "want"), VOLUME)
def test_monthly_volume_number_forms(text: str, want: float) -> None:
    got = detect(text).monthly_volume
    assert got is not None
    assert got == pytest.approx(want, rel=0.01)


def test_volume_is_rounded_to_one_decimal() -> None:
    got = detect("we review 250 invoices a week").monthly_volume
    assert got == 1083.3


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("team of 12 using hubspot", 12),  # a strong cue: any word may follow the number
        ("our team of thirty-five can't access the dashboard", 35),
        ("a support team of 25 handling roughly 2,000 tickets a week", 25),
        ("the team is a dozen or so", 12),  # an approximator after the number
        ("we're 12", 12),
    ],
)
def test_headcount_after_a_cue_that_names_the_group(text: str, want: int) -> None:
    assert detect(text).team_size == want


@pytest.mark.parametrize(
    "text",
    [
        "we're 12 using hubspot",  # "we're" is weak: the number could count anything
        "there are 3 issues with the export",
        "customers with more than 100 seats grew 30 percent",
        "the team is 3 weeks behind",
        "the team of 5 more people we hired",
    ],
)
def test_weak_or_blocked_cues_give_no_headcount(text: str) -> None:
    assert detect(text).team_size is None
