"""Vocabulary phrases: the small pattern syntax of the data files, and token-level lookup.

Matching works on token lists with dict lookups keyed by a phrase's first (or last) word, so
its cost grows with the number of tokens times the few phrases that share a word: linear in
the input, with no regular expression over the whole vocabulary.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

#: The one tokenizer for text and vocabulary alike. Every quantifier is possessive (``++``,
#: ``*+``) and the branches start on disjoint characters, so the engine never backtracks: each
#: token costs time proportional to its length and the whole pass is linear in the input.
TOKEN = re.compile(
    r"[$€£]?\d++(?:[.,:/-]\d++)*+(?:k\b|mm\b|m\b|bn\b|b\b|st\b|nd\b|rd\b|th\b|%)?"
    r"|[^\W\d_]++(?:['’][^\W\d_]++)*+"
    r"|[.,?!;:#]"
)
#: TOKEN for ASCII text: the same token boundaries with plain character classes.
ASCII_TOKEN = re.compile(
    r"\$?\d++(?:[.,:/-]\d++)*+(?:k\b|mm\b|m\b|bn\b|b\b|st\b|nd\b|rd\b|th\b|%)?"
    r"|[a-z]++(?:'[a-z]++)*+"
    r"|[.,?!;:#]"
)
#: "(a|b)" one of, "[a|b]" optional; no nesting, so parsing is a single left-to-right scan.
_GROUP = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]|([^()\[\]\s]+)")
_MAX_EXPANSIONS = 10_000
#: Written abbreviations of calendar words that transcripts and chat keep ("next qtr", "a yr"):
#: every phrase with the full word also matches with its abbreviation.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "quarter": ("qtr",),
    "quarters": ("qtrs",),
    "year": ("yr",),
    "years": ("yrs",),
    "week": ("wk",),
    "weeks": ("wks",),
}
_ABBREVIATED = frozenset(ABBREVIATIONS)


def words_of(text: str) -> tuple[str, ...]:
    return tuple(w for w in TOKEN.findall(text.lower().replace("’", "'")) if w != ",")


def expand(pattern: str) -> list[tuple[str, ...]]:
    """All word sequences a data-file pattern stands for."""
    slots: list[list[tuple[str, ...]]] = []
    for group in _GROUP.finditer(pattern):
        required, optional, plain = group.groups()
        if plain is not None:
            slots.append([words_of(plain)])
        else:
            choices = [words_of(c) for c in (required or optional or "").split("|")]
            if optional is not None:
                choices.append(())
            slots.append(choices)
    out: list[tuple[str, ...]] = []
    for combo in itertools.product(*slots):
        phrase = tuple(w for part in combo for w in part)
        if phrase:
            out.append(phrase)
            out.extend(_abbreviated(phrase))
        if len(out) >= _MAX_EXPANSIONS:
            break
    return out


def _abbreviated(phrase: tuple[str, ...]) -> list[tuple[str, ...]]:
    if _ABBREVIATED.isdisjoint(phrase):
        return []
    options = [(w, *ABBREVIATIONS.get(w, ())) for w in phrase]
    return [p for p in itertools.product(*options) if p != phrase]


class PhraseIndex(Generic[T]):
    """Phrases (word tuples) with a payload, found at a token position by longest match."""

    __slots__ = ("firsts", "lasts")

    def __init__(self, items: Iterable[tuple[str, T]] = ()) -> None:
        #: phrases by first and by last word: ``word in index.firsts`` is the cheap test a
        #: caller makes before :meth:`match` on the hot path (most words start no phrase)
        self.firsts: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        self.lasts: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for pattern, payload in items:
            self.add(pattern, payload)

    def add(self, pattern: str, payload: T) -> None:
        for phrase in expand(pattern):
            for index, key in ((self.firsts, phrase[0]), (self.lasts, phrase[-1])):
                bucket = index.setdefault(key, [])
                if all(p != phrase for p, _ in bucket):
                    bucket.append((phrase, payload))
                    bucket.sort(key=lambda item: -len(item[0]))

    def __contains__(self, word: str) -> bool:
        return word in self.firsts

    def match(self, words: Sequence[str], i: int) -> tuple[int, T | None]:
        """Length and payload of the longest phrase starting at ``words[i]`` (0 if none)."""
        bucket = self.firsts.get(words[i]) if i < len(words) else None
        if bucket:
            for phrase, payload in bucket:
                n = len(phrase)
                if n == 1 or tuple(words[i : i + n]) == phrase:
                    return n, payload
        return 0, None

    def match_before(self, words: Sequence[str], j: int) -> tuple[int, T | None]:
        """Length and payload of the longest phrase ending just before ``words[j]``."""
        bucket = self.lasts.get(words[j - 1]) if 0 < j <= len(words) else None
        if bucket:
            for phrase, payload in bucket:
                n = len(phrase)
                if n == 1 or (n <= j and tuple(words[j - n : j]) == phrase):
                    return n, payload
        return 0, None


def phrase_set(patterns: Iterable[str]) -> PhraseIndex[bool]:
    return PhraseIndex((p, True) for p in patterns)
