"""Hard negatives and messy speech (sentences written for these tests, not from the dev set)."""

from __future__ import annotations

from typing import Any

import pytest

from signalroom.signals import detect

EMPTY: dict[str, Any] = {
    "team_size": None,
    "monthly_volume": None,
    "integration_needs": [],
    "urgency": None,
    "industry": None,
}

NOTHING = [
    "my cell is five five five two one two three four four nine",
    "call me at 212-555-0199 after lunch",
    "my account number is 4417 1234 5678 9113",
    "the reference number is one two three four five",
    "it was 500 dollars last time",
    "they charged us $1,200 for setup",
    "we pay twenty bucks a user per month",
    "we're on version 3 of the app",
    "we started the company in 2019",
    "back in 2008 we had a server room",
    "the meeting is at 3 pm on tuesday",
    "can we talk at 10 tomorrow",
    "I called support 5 times yesterday",
    "I've emailed you three times",
    "we have two locations downtown",
    "my kids are 4 and 7",
    "our building has 12 floors",
    "the office is on 5th street",
    "we're 20 minutes from downtown",
    "we drove 300 miles for the trade show",
    "revenue was up 15 percent",
    "we had 400 people at the gala last month",
    "I printed 40 pages of your contract",
    "we lost 3 customers last quarter",
    "the teams were evenly matched last night",
    "both of our teams are remote",
    "my outlook is that this will work out",
    "the outlook for the economy is uncertain",
    "I bought a box of donuts for the office",
    "put the files in a box",
    "it's just a notion for now",
    "cut me some slack it's monday",
    "salesforce shares dropped after earnings",
    "I heard that HubSpot announced layoffs",
    "we used to be on salesforce but we don't use it anymore",
    "I need car insurance for my new truck",
    "I'm looking for a mortgage for my house",
    "my brother is a lawyer in boston",
    "my wife works at a hospital",
    "I'm calling about my bank account",
    "we watched a documentary about the oil industry",
    "I'm parked outside the urgent care",
    "I'm in the store right now",
    "thanks I'll see you next week",
    "the report is due next month",
    "talk soon",
    "yeah that makes sense",
    "sorry can you repeat the price",
]

CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "uh yeah so we we're a a law firm with like um thirty attorneys",
        {"team_size": 30, "industry": "legal"},
    ),
    (
        "so basically we use sfdc and ms teams and all our docs are in google docs",
        {"integration_needs": ["google_drive", "salesforce", "teams"]},
    ),
    ("we live in outlook and slack all day", {"integration_needs": ["outlook", "slack"]}),
    ("files are in box mostly some in dropbox", {"integration_needs": ["box", "dropbox"]}),
    ("does it have an api and webhooks", {"integration_needs": ["api", "webhook"]}),
    ("we need single sign on through okta", {"integration_needs": ["sso"]}),
    ("our docs are in Notion", {"integration_needs": ["notion"]}),
    ("hr runs on workday", {"integration_needs": ["workday"]}),
    ("we need this up and running by friday", {"urgency": "high"}),
    ("we'd like it in place in the next couple of months", {"urgency": "medium"}),
    ("it's not urgent, we're just researching", {"urgency": "low"}),
    ("we want to start within two weeks", {"urgency": "high"}),
    ("probably sometime next year", {"urgency": "low"}),
    ("I run a small dental office", {"industry": "healthcare"}),
    ("we're a boutique law firm", {"industry": "legal"}),
    ("I work for a credit union", {"industry": "finance"}),
    ("we're in the insurance business", {"industry": "insurance"}),
    ("we're a third party logistics provider", {"industry": "logistics"}),
    ("our hotels are all on the west coast", {"industry": "hospitality"}),
    ("we're a 501c3 nonprofit", {"industry": "nonprofit"}),
    ("we're a regional utility", {"industry": "energy"}),
    (
        "we're a school district with 400 teachers and we need it before the fall",
        {"team_size": 400, "industry": "education"},
    ),
    (
        "ok so we're a small accounting firm, eight accountants, and we do about 120 returns a week",
        {"team_size": 8, "monthly_volume": 520.0, "industry": "finance"},
    ),
]


@pytest.mark.parametrize("text", NOTHING)
def test_hard_negatives_yield_nothing(text: str) -> None:
    assert detect(text).to_dict() == EMPTY


@pytest.mark.parametrize(("text", "want"), CASES)
def test_messy_speech(text: str, want: dict[str, Any]) -> None:
    assert detect(text).to_dict() == {**EMPTY, **want}


# Utterances in the style of customer-service calls and earnings calls.
REAL_WORLD: list[tuple[str, dict[str, Any]]] = [
    ("hi I'm calling because my order hasn't arrived and it's been two weeks", {}),
    ("I need to reset my password for outlook", {"integration_needs": ["outlook"]}),
    ("can you check order number 88123 for me", {}),
    ("I'd like to book a table for four at 7 pm", {}),
    ("total revenue for the quarter was 2.1 billion up 12 percent year over year", {}),
    ("we ended the quarter with about 12,000 employees", {"team_size": 12000}),
    ("we expect margins to improve next year", {}),
    ("we opened 40 new stores this quarter", {"industry": "retail"}),
    ("we built this for teams of any size", {}),
    ("I'd like to book a table for 5 people at 18:00 on saturday", {}),
    ("can you book it for 3 people for 2 nights starting tuesday", {}),
    ("my internet has been down for three days and I need it fixed asap", {"urgency": "high"}),
    ("we expect to close the acquisition next quarter", {}),
    ("we're a leading provider of cloud software for banks", {"industry": "technology"}),
    ("my insurance company won't cover it", {}),
    ("we shipped 1.2 million units in the quarter", {}),
    ("we returned 2 billion dollars to shareholders this year", {}),
    ("our agents handle around 3,000 calls a day", {"monthly_volume": 90000.0}),
    ("our customers processed over 3 million transactions", {}),
    ("this is urgent my card was charged twice", {"urgency": "high"}),
]


@pytest.mark.parametrize(("text", "want"), REAL_WORLD)
def test_customer_service_and_earnings_style(text: str, want: dict[str, Any]) -> None:
    assert detect(text).to_dict() == {**EMPTY, **want}
