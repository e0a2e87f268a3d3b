"""Simulated callers: varied, realistic scripted calls, deterministic for a seed.

A :class:`Scenario` is what the caller says, turn by turn. :func:`generate_scenarios` mixes
industries, team sizes and monthly volumes in many spoken forms, integrations, urgency, product
questions, an invalid email corrected on the next turn, calls that end without a booking, and
calls the caller abandons half-way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["booked", "bad_email", "no_booking", "abandoned", "questions_only"]

FIRST = [
    "Maya",
    "John",
    "Priya",
    "Lucas",
    "Sofia",
    "Omar",
    "Hannah",
    "Kenji",
    "Ana",
    "David",
    "Fatima",
    "Erik",
    "Grace",
    "Mateo",
    "Chloe",
    "Noah",
]
LAST = [
    "Patel",
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Silva",
    "Murphy",
    "Cohen",
    "Larsen",
]

#: (industry, how a caller says it, company word)
INDUSTRIES = [
    ("legal", "we're a law firm", "law"),
    ("healthcare", "we run a group of medical clinics", "health"),
    ("finance", "we're a wealth management firm", "capital"),
    ("insurance", "we're an insurance brokerage", "insure"),
    ("real_estate", "we're a real estate brokerage", "realty"),
    ("education", "we're a university admissions office", "edu"),
    ("manufacturing", "we're a manufacturing company", "works"),
    ("retail", "we're a retail chain", "shops"),
    ("technology", "we're a software company", "labs"),
    ("construction", "we're a construction contractor", "build"),
    ("logistics", "we do freight and logistics", "freight"),
    ("hospitality", "we manage a few hotels", "hotels"),
    ("nonprofit", "we're a nonprofit", "cause"),
]
TEAM = [
    "we have about {n} people on the team",
    "a team of {w}",
    "there are {n} of us",
    "roughly {w} people would use it",
    "we're {n} staff",
]
NUMBER_WORDS = {
    5: "five",
    8: "eight",
    12: "twelve",
    15: "fifteen",
    20: "twenty",
    25: "twenty-five",
    40: "forty",
    60: "sixty",
}
VOLUME = [
    "around {n} documents a month",
    "maybe {k}k contracts per month",
    "a couple hundred agreements a month",
    "about {n} files monthly",
    "{w} hundred documents every month",
]
INTEGRATIONS = [
    "Salesforce",
    "HubSpot",
    "Slack",
    "Google Drive",
    "Dropbox",
    "Microsoft Teams",
    "our own API",
    "Zapier",
]
URGENCY = [
    "we need this live by next week",
    "we'd like something this quarter",
    "we're just exploring options for now",
    "it's pretty urgent, ASAP really",
    "sometime in the next few months",
]
QUESTIONS = [
    "How much does it cost?",
    "Do you integrate with Salesforce?",
    "Is it HIPAA compliant?",
    "How do templates work?",
    "Can I see analytics on how long signing takes?",
    "Do you support single sign-on?",
    "What does onboarding look like?",
    "Does it have an API?",
]
TIMES = [
    "tomorrow at 2pm",
    "next tuesday at 10am",
    "friday at 11am",
    "monday morning",
    "thursday afternoon",
]
ZONES = ["", " eastern time", " pacific time", " Europe/Berlin", " UTC"]


@dataclass(frozen=True)
class Persona:
    name: str
    email: str
    phone: str
    industry: str


@dataclass(frozen=True)
class Scenario:
    session_id: str
    kind: Kind
    persona: Persona
    turns: list[str] = field(default_factory=list)

    @property
    def abandoned(self) -> bool:
        return self.kind == "abandoned"


def _persona(rng: random.Random, index: int) -> tuple[Persona, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    industry, said, word = rng.choice(INDUSTRIES)
    domain = f"{last.lower()}{word}.com"
    phone = f"+1555{rng.randrange(10**6, 10**7)}"
    email = f"{first.lower()}.{last.lower()}@{domain}"
    return Persona(f"{first} {last}", email, phone, industry), said


def _team(rng: random.Random) -> str:
    n = rng.choice(list(NUMBER_WORDS))
    return rng.choice(TEAM).format(n=n, w=NUMBER_WORDS[n])


def _volume(rng: random.Random) -> str:
    return rng.choice(VOLUME).format(
        n=rng.choice([150, 300, 500, 1200]), k=rng.choice([1, 2, 3]), w=rng.choice(["two", "five"])
    )


def _booking_turns(rng: random.Random, persona: Persona, bad_email: bool) -> list[str]:
    when = rng.choice(TIMES) + rng.choice(ZONES)
    if bad_email:
        broken = persona.email.split("@")[0] + "@" + persona.email.split("@")[1].split(".")[0]
        return [
            f"Let's book a demo. My name is {persona.name}, email {broken}, {when}.",
            f"Sorry, the full address is {persona.email}.",
        ]
    return [
        f"Sounds good, let's book a demo {when}. My name is {persona.name}, "
        f"my email is {persona.email}."
    ]


def session_id(seed: int, index: int) -> str:
    """The session id of the ``index``-th call of ``seed``: the same on every run."""
    return f"sim-{seed}-{index:04d}"


def session_ids(n: int, seed: int = 7) -> list[str]:
    return [session_id(seed, i) for i in range(n)]


def make_scenario(rng: random.Random, index: int, kind: Kind, seed: int = 0) -> Scenario:
    persona, industry_said = _persona(rng, index)
    tools = rng.sample(INTEGRATIONS, k=rng.choice([1, 2]))
    facts = [
        f"Hi, {industry_said} and {_team(rng)}.",
        f"We process {_volume(rng)}.",
        f"We'd need it to work with {' and '.join(tools)}.",
        f"Timeline-wise, {rng.choice(URGENCY)}.",
    ]
    rng.shuffle(facts[1:])
    question = rng.choice(QUESTIONS)
    turns = [facts[0], question, *facts[1:]]
    if kind == "questions_only":
        turns = [facts[0], *rng.sample(QUESTIONS, k=3), "Thanks, that's all for now, bye."]
    elif kind == "abandoned":
        turns = turns[: rng.choice([2, 3])]
    elif kind == "no_booking":
        turns = [*turns, "Thanks, no meeting for now. That's all, bye."]
    else:
        turns = [
            *turns,
            *_booking_turns(rng, persona, bad_email=kind == "bad_email"),
            "No, that's all. Thanks, bye.",
        ]
    return Scenario(session_id=session_id(seed, index), kind=kind, persona=persona, turns=turns)


_MIX: list[Kind] = [
    "booked",
    "booked",
    "bad_email",
    "no_booking",
    "abandoned",
    "booked",
    "questions_only",
    "booked",
    "no_booking",
    "bad_email",
]


def generate_scenarios(n: int, seed: int = 7) -> list[Scenario]:
    """``n`` varied calls; the same ``(n, seed)`` always gives the same calls."""
    if n < 0:
        raise ValueError("n must be zero or more")
    rng = random.Random(seed)
    return [make_scenario(rng, i, _MIX[i % len(_MIX)], seed) for i in range(n)]
