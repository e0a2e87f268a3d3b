"""Vocabulary phrases: the small pattern syntax of the data files, and token-level lookup.

Matching works on token lists with dict lookups keyed by a phrase's first (or last) word, so
its cost grows with the number of tokens times the few phrases that share a word: linear in
the input, with no regular expression over the whole vocabulary.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
#: Phrases that share a word: their lengths, longest first, and the phrases with payloads.
_Bucket = tuple[tuple[int, ...], dict[tuple[str, ...], T]]
_MISSING: object = object()

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
    """Phrases (word tuples) with a payload, found at a token position by longest match.

    Phrases are kept by first (and by last) word, then by length: a match tries one dict
    lookup per distinct length, longest first, however many phrases share the word ("of"
    ends a dozen headcount cues)."""

    __slots__ = ("firsts", "lasts")

    def __init__(self, items: Iterable[tuple[str, T]] = ()) -> None:
        #: phrases by first and by last word: ``word in index.firsts`` is the cheap test a
        #: caller makes before :meth:`match` on the hot path (most words start no phrase)
        self.firsts: dict[str, _Bucket[T]] = {}
        self.lasts: dict[str, _Bucket[T]] = {}
        for pattern, payload in items:
            self.add(pattern, payload)

    def add(self, pattern: str, payload: T) -> None:
        for phrase in expand(pattern):
            for index, key in ((self.firsts, phrase[0]), (self.lasts, phrase[-1])):
                lengths, table = index.get(key, ((), {}))
                if phrase in table:  # the first payload of a phrase wins
                    continue
                table[phrase] = payload
                index[key] = (tuple(sorted({*lengths, len(phrase)}, reverse=True)), table)

    def __contains__(self, word: str) -> bool:
        return word in self.firsts

    def match(self, words: list[str], i: int) -> tuple[int, T | None]:
        """Length and payload of the longest phrase starting at ``words[i]`` (0 if none)."""
        bucket = self.firsts.get(words[i]) if i < len(words) else None
        if bucket:
            lengths, table = bucket
            room = len(words) - i
            for n in lengths:
                if n <= room:
                    payload = table.get(tuple(words[i : i + n]), _MISSING)
                    if payload is not _MISSING:
                        return n, payload  # type: ignore[return-value]
        return 0, None

    def match_before(self, words: list[str], j: int) -> tuple[int, T | None]:
        """Length and payload of the longest phrase ending just before ``words[j]``."""
        bucket = self.lasts.get(words[j - 1]) if 0 < j <= len(words) else None
        if bucket:
            lengths, table = bucket
            for n in lengths:
                if n <= j:
                    payload = table.get(tuple(words[j - n : j]), _MISSING)
                    if payload is not _MISSING:
                        return n, payload  # type: ignore[return-value]
        return 0, None


def phrase_set(patterns: Iterable[str]) -> PhraseIndex[bool]:
    return PhraseIndex((p, True) for p in patterns)
