"""Replace personal data in free text with typed placeholders.

What is found, in this order (earlier kinds win where matches overlap):

- ``[EMAIL]``  written (``jane.doe@acme.com``, and ``jane@acme`` with no dot, which speech
  recognition and language models produce when they lose the domain's ending) and spoken
  (``jane dot doe at acme dot com``);
- ``[CARD]``   13–19 digit runs that pass the Luhn check (spaces or dashes allowed);
- ``[NATIONAL_ID]`` US social security numbers written ``123-45-6789``, and, after a cue
  (``ssn``, ``social security``, ``social``) within four words, nine digits run together
  (``ssn 123456789``) or spoken (``my social is one two three ...``); UK NI numbers.
  A nine-digit number with no cue is left alone: monthly volumes look the same;
- ``[PHONE]``  numbers that the ``phonenumbers`` library (Google's libphonenumber port)
  validates, digits-only or formatted, and spoken digit runs of seven or more digits
  (``five five five one two three four``);
- ``[ADDRESS]`` a house number followed by up to four words and a street suffix.

Every pattern here is a bounded alternation or has bounded repetition, so each runs in
linear time on any input. Presidio would add NER-based detection but needs a spaCy model
download at run time, which this product avoids; phonenumbers carries its metadata offline.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import phonenumbers

_TLDS = r"(?:com|org|net|io|co|edu|gov|us|uk|de|fr|ca|ai|dev|info|biz)"
#: Any ``local@domain`` form, dotted domain or not: a leaked address is worse than a
#: redacted ``user@host``.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,4}")
_SPOKEN_EMAIL = re.compile(
    r"\b[a-z0-9]{1,40}(?:\s(?:dot|underscore|dash|hyphen)\s[a-z0-9]{1,40}){0,4}"
    r"\s(?:at)\s[a-z0-9]{1,40}(?:\s(?:dot|dash)\s[a-z0-9]{1,40}){0,3}\s(?:dot)\s" + _TLDS + r"\b",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_SSN = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)")
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
#: A cue, then up to four words that are not digit words ("is", "number", "it's"), then nine
#: digits: run together or grouped, or spoken one by one. Only group ``id`` is replaced.
_SSN_CUED = re.compile(
    r"\b(?:ssn|social(?!\s+media)(?:\s+security)?)\b"
    r"(?:[\s,:#.'-]{1,3}(?!" + _DIGIT_WORD + r"\b)[a-z']{1,12}){0,4}?[\s,:#.-]{1,3}"
    r"(?P<id>(?<!\d)\d{3}[ -]?\d{2}[ -]?\d{4}(?![\d-])"
    r"|(?:(?:" + _DIGIT_WORD + r"|\d)[\s,.-]{1,3}){8}(?:" + _DIGIT_WORD + r"|\d)\b"
    r"(?![\s,.-]{1,3}(?:" + _DIGIT_WORD + r"\b|\d)))",
    re.IGNORECASE,
)
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|parkway|pkwy|highway|hwy|square|sq|circle|cir)"
)
_ADDRESS = re.compile(
    r"\b\d{1,6}\s(?:[A-Za-z][A-Za-z'.-]{0,30}\s){1,4}" + _STREET + r"\b\.?", re.IGNORECASE
)
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SPOKEN_DIGITS = re.compile(
    r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)[\s,.-]{1,3}){6,24}"
    r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)\b",
    re.IGNORECASE,
)
_MAX_PHONE_SCAN = 100_000
#: libphonenumber's matcher is the costly step; no number has fewer than seven digits, so a
#: text without seven digits close together never reaches it.
_PHONE_GATE = re.compile(r"(?:\d[^\d\n]{0,4}){6}\d")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _spans(text: str, region: str) -> Iterator[tuple[int, int, str]]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "[EMAIL]"
    for m in _SPOKEN_EMAIL.finditer(text):
        yield m.start(), m.end(), "[EMAIL]"
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            yield m.start(), m.end(), "[CARD]"
    for m in _SSN_CUED.finditer(text):
        yield m.start("id"), m.end("id"), "[NATIONAL_ID]"
    for pattern in (_SSN, _NINO):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "[NATIONAL_ID]"
    if _PHONE_GATE.search(text):
        matcher = phonenumbers.PhoneNumberMatcher(
            text[:_MAX_PHONE_SCAN], region, leniency=phonenumbers.Leniency.VALID
        )
        for match in matcher:
            yield match.start, match.end, "[PHONE]"
    for m in _SPOKEN_DIGITS.finditer(text):
        tokens = re.findall(r"[a-z]+|\d", m.group().lower())
        if sum(1 for t in tokens if t in _DIGIT_WORDS or t.isdigit()) >= 7:
            yield m.start(), m.end(), "[PHONE]"
    for m in _ADDRESS.finditer(text):
        yield m.start(), m.end(), "[ADDRESS]"


def redact(text: str, *, region: str = "US") -> str:
    """``text`` with personal data replaced by typed placeholders (see module doc)."""
    if not text:
        return text
    # Kept sorted and disjoint, so a new span need only be checked against its two neighbours:
    # a text full of short matches ("a@b" repeated) stays fast.
    chosen: list[tuple[int, int, str]] = []
    for start, end, label in _spans(text, region):
        at = bisect.bisect_left(chosen, (start,))
        if at > 0 and chosen[at - 1][1] > start:
            continue
        if at < len(chosen) and chosen[at][0] < end:
            continue
        chosen.insert(at, (start, end, label))
    if not chosen:
        return text
    out: list[str] = []
    pos = 0
    for start, end, label in chosen:
        out.append(text[pos:start])
        out.append(label)
        pos = end
    out.append(text[pos:])
    return "".join(out)
