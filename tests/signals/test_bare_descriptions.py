"""A self-description said as a bare noun phrase: the answer to "what do you do?".

The rule (docs/signals.md): a turn, or the first clause of a turn after a filler or hedge,
that is an indefinite or bare noun phrase headed by a business or an occupation names the
speaker's industry. Products of an industry, other organizations that act or are served,
plurals (customers) and questions stay null. The tables combine the parts of the rule.
"""

from __future__ import annotations

import itertools

import pytest

from signalroom.signals import detect

#: (noun phrase, industry): heads that are organizations, occupations or business nouns
HEADS = [
    ("mortgage broker", "finance"),
    ("SaaS startup", "technology"),
    ("trucking company", "logistics"),
    ("accounting practice", "finance"),
    ("roofing contractor", "construction"),
    ("family law office", "legal"),
    ("independent pharmacy", "healthcare"),
    ("insurance agency", "insurance"),
    ("property management company", "real_estate"),
    ("cabinet manufacturer", "manufacturing"),
    ("charter school", "education"),
    ("coffee shop", "hospitality"),
]
LEADS = ["", "um, ", "well, ", "oh, just ", "mostly ", "Uh, basically "]
ARTICLES = ["a ", "", "a small ", "a regional family-owned "]
ENDINGS = [
    "",
    ".",
    "!",
    ", mostly residential.",
    " here.",
    ", about forty people.",
    ". Do you do payroll?",
]


def _article(article: str, phrase: str) -> str:
    return "an " if article == "a " and phrase[0] in "aeiou" else article


@pytest.mark.parametrize(("phrase", "label"), HEADS)
def test_bare_noun_phrase_names_the_speakers_industry(phrase: str, label: str) -> None:
    for lead, article, ending in itertools.product(LEADS, ARTICLES, ENDINGS):
        text = f"{lead}{_article(article, phrase)}{phrase}{ending}"
        assert detect(text).industry == label, text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("A chain of dental clinics.", "healthcare"),
        ("a network of urgent care clinics", "healthcare"),
        ("An attorney.", "legal"),
        ("just a bookkeeper, really", "finance"),
        ("a boutique law firm", "legal"),
        ("Freight brokerage, based out of Ohio.", "logistics"),
        ("a 12-person software company", "technology"),
    ],
)  # fmt: skip
def test_other_forms_of_a_bare_description(text: str, label: str) -> None:
    assert detect(text).industry == label


@pytest.mark.parametrize(
    "text",
    [
        # a product of the industry, not the speaker's business
        "car insurance",
        "Home insurance, for the new house.",
        "a real estate loan for the warehouse",
        "an estimate for a new roof",
        "a quote on liability insurance",
        "accounting software",
        # another organization that acts, is served or is compared
        "a law firm referred us",
        "A hospital, they sent me your number.",
        "an insurance agency is our biggest client",
        "a lawyer who works with us",
        "the clinic down the street",
        "my accountant",
        # plurals name customers or a market
        "law firms, mostly",
        "Dental clinics.",
        "trucking companies in the midwest",
        # a question
        "a mortgage broker?",
        "a SaaS startup, is that who you work with?",
        "Are you a law firm?",
        # a subject came first
        "it's an accounting practice",
        "that's a trucking company",
        # a place or a service asked for
        "a coffee shop, find one open now",
        "a hotel in Denver",
        "Thai restaurant, please.",
        "a locksmith, I'm locked out of my car",
        "An electrician. My breaker keeps tripping.",
        "Moving company, for the 14th.",
        "motel, one night",
    ],
)
def test_what_is_not_a_bare_self_description(text: str) -> None:
    assert detect(text).industry is None, text
