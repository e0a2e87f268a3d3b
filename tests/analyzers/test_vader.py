"""FastVader scores exactly as vaderSentiment's own analyzer does."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from signalroom.analyzers.vader import FastVader

REFERENCE = SentimentIntensityAnalyzer()
FAST = FastVader()

#: Words that trigger each of VADER's rules: negations, boosters and dampeners, "but",
#: "least", "no", "kind of", "never so", "without doubt", special-case idioms, ALL CAPS,
#: punctuation emphasis, emoticons and emojis.
_SINGLE = (
    "good great terrible awful love hate happy sad okay fine nice bad slow frustrating "
    "not isn't don't never without doubt no nor or very really extremely kind of sort "
    "somewhat barely least at so this but the bomb yeah right kiss death to die for "
    "GREAT TERRIBLE VERY NOT :) :( !!! ?? ? ! 😀 💔 we team contracts month demo "
    "needn't've couldn't've"
)
_PHRASES = (
    "kiss of death|yeah right|to die for|the bomb|the shit|bad ass|beating heart|kind of|"
    "sort of|just enough|without doubt|never so|at least"
)
WORDS = [*_SINGLE.split(), *_PHRASES.split("|")]


SENTENCES = [
    "VADER is smart, handsome, and funny.",
    "VADER is not smart, handsome, nor funny.",
    "The book was kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "At least it isn't a horrible book.",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "no problem, that is no good and never so bad",
    "without doubt the best, yeah right, the bomb",
    "it is the least bad option, very least",
    "",
    "   ",
]


def same(text: str) -> bool:
    expected = REFERENCE.polarity_scores(text)
    return FAST.polarity_scores(text) == expected and FAST.compound(text) == expected["compound"]


def test_known_sentences_score_identically() -> None:
    for text in SENTENCES:
        assert same(text), text


def test_signal_dev_set_scores_identically() -> None:
    path = Path(__file__).parents[1] / "data" / "signals-dev.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    assert len(texts) > 50
    for text in texts:
        assert same(text), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=14), st.sampled_from([" ", "  ", ", "]))
def test_any_mix_of_rule_words_scores_identically(words: list[str], sep: str) -> None:
    assert same(sep.join(words))
