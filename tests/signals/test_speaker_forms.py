"""Forms of the five signals found in unseen conversational speech, tested from their rule.

Each table pairs the form with near misses that the same rule must leave empty. The labeled
set ``data/unseen_round4.jsonl`` (customer-service and assistant turns, earnings-call and
committee speech, sales-call sentences with numbers and dates) is scored at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from signalroom.signals import detect
from signalroom.signals.scoring import read_gold, score

GOLD = Path(__file__).parent / "data" / "unseen_round4.jsonl"


def _field(text: str, field: str) -> Any:
    return detect(text).to_dict()[field]


# -- industry: an organization noun ends the description ("our restaurant group") ---------


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("our restaurant group has five locations", "hospitality"),
        ("our hospitality group runs three hotels", "hospitality"),
        ("at our accounting firm everyone bills hourly", "finance"),
        ("our law firm has two offices", "legal"),
        ("our insurance agency writes mostly home policies", "insurance"),
        ("our restaurant reservation got lost", None),
    ],
)
def test_possession_with_org_noun(text: str, industry: str | None) -> None:
    assert _field(text, "industry") == industry


# -- industry: "i'm with / i'm from" names the speaker's employer --------------------------


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("I'm with the county clerk's office", "government"),
        ("hi, I'm from a small law firm downtown", "legal"),
        ("we're from a credit union in Ohio", "finance"),
        ("im with a property management company", "real_estate"),
        ("I'm from Denver and I need car insurance", None),
        ("I'm with a patient right now, can I call back", None),
        ("I'm with you on that", None),
    ],
)
def test_with_or_from_employer(text: str, industry: str | None) -> None:
    assert _field(text, "industry") == industry


# -- industry: the organization named before "i work at / for" ---------------------------


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("the hospital I work at is looking at options", "healthcare"),
        ("the law firm I work for uses Clio", "legal"),
        ("the small dental practice I work at needs this", "healthcare"),
        ("our credit union we work for is tiny", "finance"),
        ("the law firm we work with uses Clio", None),
        ("the contracts I work on are long", None),
        ("my sister works at a hospital", None),
    ],
)
def test_workplace_named_before_the_speaker(text: str, industry: str | None) -> None:
    assert _field(text, "industry") == industry


# -- team_size: "it's just me" and a longer phrase that starts inside it --------------------


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("it's just me and my business partner", 2),
        ("it's only me and my assistant", 2),
        ("honestly it's just me right now", 1),
        ("it's just me", 1),
        ("it's only myself", 1),
    ],
)
def test_just_me_and_another(text: str, team: int) -> None:
    assert _field(text, "team_size") == team


# -- team_size: a headcount noun with a past-tense verb ------------------------------------


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("headcount was 40", 40),
        ("our head count was about 3,200", 3200),
        ("team size was 12 last I checked", 12),
        ("headcount was up 5 percent", None),
        ("headcount was a big topic in 2023", None),
    ],
)
def test_headcount_in_past_tense(text: str, team: int | None) -> None:
    assert _field(text, "team_size") == team


# -- monthly_volume: the work item named before a bare count with a period ----------------


@pytest.mark.parametrize(
    ("text", "volume"),
    [
        ("we scan intake forms, like 800 a month", 800),
        ("we handle contracts, maybe 300 a month", 300),
        ("we review invoices, about 2 thousand a week", 8666.7),
        ("we process intake forms, um, like 40 a day", 1200),
        ("the forms cost like 800 a month", None),
        ("we process invoices and pay about 800 a month for it", None),
        ("we review contracts. 300 a month", None),
        ("we get about 800 a month", None),
    ],
)
def test_item_named_before_its_count(text: str, volume: float | None) -> None:
    assert _field(text, "monthly_volume") == volume


# -- integration_needs: a negation names the tool left, not the one moved to ---------------


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("we moved off Zoho to Dynamics last year", ["dynamics"]),
        ("we moved off Zoho to HubSpot", ["hubspot"]),
        ("we're replacing Box with SharePoint", ["sharepoint"]),
        ("we stopped using Zoho for Pipedrive", ["pipedrive"]),
        ("we don't use Slack or Teams", []),
        ("we don't need to connect to Slack", []),
        ("we got rid of Dropbox", []),
    ],
)
def test_destination_after_a_negated_tool(text: str, tools: list[str]) -> None:
    assert _field(text, "integration_needs") == tools


# -- urgency: a horizon beside an evaluation of vendors ------------------------------------


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("we're looking at options for next year", "low"),
        ("the hospital is exploring vendors for next quarter", "medium"),
        ("we're comparing tools this week", "high"),
        ("considering solutions sometime next year", "low"),
        ("looking at next year, we expect margins to expand", None),
        ("I was looking at the report from next year", None),
    ],
)
def test_evaluation_sets_a_horizon(text: str, urgency: str | None) -> None:
    assert _field(text, "urgency") == urgency


# -- the unseen set --------------------------------------------------------------------------


def test_unseen_round4_set() -> None:
    gold = read_gold(GOLD.read_text().splitlines(), GOLD.name)
    assert len(gold) >= 150
    report = score(gold, detect)
    assert report.macro_f1 >= 0.93, report.table()
    assert min(s.f1 for s in report.fields.values()) >= 0.80, report.table()
