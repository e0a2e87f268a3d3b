"""VADER (``vaderSentiment``) with its per-word overhead removed, scores unchanged.

``vaderSentiment`` 3.3.2 spends most of a short utterance's time on bookkeeping rather than on
scoring: it rebuilds the text character by character to replace emojis (even when there are
none), calls its rule chain for words that are in no lexicon, lower-cases the whole sentence
again for every look-back of every lexicon word, checks negation by scanning its 60-word list,
and splits positive, negative and neutral shares when only the compound score is wanted.
:class:`FastVader` skips or narrows exactly those steps with equivalent code; tokenizing, the
lexicon, every rule and the compound formula remain the library's own. ``tests/analyzers``
compares both, to the last digit, on sentences built to exercise every rule.
"""

from __future__ import annotations

import string
from typing import Any

from vaderSentiment import vaderSentiment as vs

_NEGATE = frozenset(vs.NEGATE)
_PUNCTUATION = string.punctuation  # what SentiText strips
_SPECIAL_CASES: dict[str, float] = vs.SPECIAL_CASES
_BOOSTER_DICT: dict[str, float] = vs.BOOSTER_DICT


def _negated(word: str) -> bool:
    """``vaderSentiment.negated([word])`` for one already lower-cased word."""
    return word in _NEGATE or "n't" in word


class FastVader(vs.SentimentIntensityAnalyzer):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self._emoji_chars = frozenset(self.emojis)

    def polarity_scores(self, text: str) -> dict[str, float]:
        if not self._emoji_chars.isdisjoint(text):
            # Rare: let the library rewrite emojis to words, char by char, as it always does.
            return super().polarity_scores(text)  # type: ignore[no-any-return]
        text = text.strip()
        return self.score_valence(self._sentiments(text), text)  # type: ignore[no-any-return]

    def compound(self, text: str) -> float:
        """``polarity_scores(text)["compound"]`` without the positive/negative/neutral split."""
        if not self._emoji_chars.isdisjoint(text):
            return float(super().polarity_scores(text)["compound"])
        text = text.strip()
        sentiments = self._sentiments(text)
        if not sentiments:
            return 0.0
        # As the library's score_valence computes its compound.
        total = float(sum(sentiments))
        emphasis = self._punctuation_emphasis(text)
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        return round(float(vs.normalize(total)), 4)

    def _sentiments(self, text: str) -> list[Any]:
        """The library's polarity_scores after its emoji pass, up to the scoring."""
        # SentiText's tokenizing, inline: split, then strip punctuation from each token unless
        # that leaves two characters or fewer (an emoticon).
        words = [w if len(t := w.strip(_PUNCTUATION)) <= 2 else t for w in text.split()]
        lexicon = self.lexicon
        if lexicon.keys().isdisjoint([w.lower() for w in words]):
            # no word the lexicon scores: every rule below appends 0 or rescales a 0
            return [0] * len(words)
        sentitext = vs.SentiText.__new__(vs.SentiText)
        sentitext.text = text
        sentitext.words_and_emoticons = words
        sentitext.is_cap_diff = vs.allcap_differential(words)
        sentiments: list[Any] = []
        for i, item in enumerate(words):
            lowered = item.lower()
            if lowered in _BOOSTER_DICT:
                sentiments.append(0)
                continue
            if i < len(words) - 1 and lowered == "kind" and words[i + 1].lower() == "of":
                sentiments.append(0)
                continue
            if lowered not in lexicon:
                # sentiment_valence scores only lexicon words; for the rest it appends 0.
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
        if "but" in text.lower():
            # The contrastive "but" rule; without that word it changes nothing.
            sentiments = self._but_check(words, sentiments)
        return sentiments

    @staticmethod
    def _negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
        # The library lower-cases every word of the sentence here; only three are read.
        def low(k: int) -> str:
            return str(words[i - k]).lower()

        if start_i == 0 and _negated(low(1)):
            valence = valence * vs.N_SCALAR
        if start_i == 1:
            if low(2) == "never" and low(1) in ("so", "this"):
                valence = valence * 1.25
            elif low(2) == "without" and low(1) == "doubt":
                pass
            elif _negated(low(2)):
                valence = valence * vs.N_SCALAR
        if start_i == 2:
            if (low(3) == "never" and low(2) in ("so", "this")) or low(1) in ("so", "this"):
                valence = valence * 1.25
            elif low(3) == "without" and (low(2) == "doubt" or low(1) == "doubt"):
                pass
            elif _negated(low(3)):
                valence = valence * vs.N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence: float, words: list[str], i: int) -> float:
        # As the library's, reading only the six words around ``i`` instead of lower-casing all.
        n = len(words)

        def low(k: int) -> str:
            return str(words[k]).lower()

        onezero = f"{low(i - 1)} {low(i)}"
        twoonezero = f"{low(i - 2)} {low(i - 1)} {low(i)}"
        twoone = f"{low(i - 2)} {low(i - 1)}"
        threetwoone = f"{low(i - 3)} {low(i - 2)} {low(i - 1)}"
        threetwo = f"{low(i - 3)} {low(i - 2)}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in _SPECIAL_CASES:
                valence = _SPECIAL_CASES[seq]
                break
        if n - 1 > i:
            zeroone = f"{low(i)} {low(i + 1)}"
            if zeroone in _SPECIAL_CASES:
                valence = _SPECIAL_CASES[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{low(i)} {low(i + 1)} {low(i + 2)}"
            if zeroonetwo in _SPECIAL_CASES:
                valence = _SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in _BOOSTER_DICT:
                valence = valence + _BOOSTER_DICT[n_gram]
        return valence
