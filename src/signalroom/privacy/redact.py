"""Replace personal data in free text with typed placeholders.

Each kind is a category, not a spelling. Matching runs on the text with Unicode look-alikes
folded to ASCII (:mod:`signalroom.privacy.fold`: full-width ``＠`` and digits, digits of other
scripts, zero-width characters), and the placeholders replace the original characters. What
is found, in this order (earlier kinds win where matches overlap):

- ``[EMAIL]``  written (``jane.doe@acme.com``, and ``jane@acme`` with no dot, which speech
  recognition and language models produce when they lose the domain's ending), spoken or
  obfuscated (``jane dot doe at acme dot com``, ``john.smith at acme-corp dot com``,
  ``jsmith at gmail.com``, ``jane [at] acme [dot] com``): a spoken ``at`` needs a domain that
  ends in a known top-level domain, so "we meet at noon" stays;
- ``[CARD]``   13–19 digits that pass the Luhn check, in groups split by any separators
  (spaces, double spaces, dots, slashes, dashes), found inside longer digit runs too;
- ``[NATIONAL_ID]`` US social security numbers written ``123-45-6789``, and, after a cue
  (``ssn``, ``s.s.n.``, ``social security``, ``social``, ``itin``) within four words, nine
  digits with any separators (``ssn: 123.45.6789``) or spoken (``my social is one two three
  ...``); UK NI numbers. A nine-digit number with no cue is left alone: monthly volumes look
  the same;
- ``[PHONE]``  numbers that the ``phonenumbers`` library (Google's libphonenumber port)
  validates, digits-only or formatted, and spoken digit runs of seven or more digits
  (``five five five one two three four``);
- ``[ADDRESS]`` a house number (``221B``, ``10-A``) followed by up to four words and a street
  suffix, with the place after it when one follows: a unit, city words and a US state or
  Canadian province (ZIP or postal code optional), or a UK postcode (``221B Baker Street,
  London NW1 6XE``). pyap2 finds such addresses too, but its patterns take tens of seconds on
  some 100 KB inputs, and redaction must stay linear on any text.

Every pattern here is a bounded alternation or has bounded repetition, so each runs in
linear time on any input. Presidio would add NER-based detection but needs a spaCy model
download at run time, which this product avoids; phonenumbers carries its metadata offline.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import phonenumbers

from signalroom.privacy.fold import fold

_TLDS = (
    r"(?:com|org|net|io|co|edu|gov|us|uk|de|fr|ca|ai|dev|info|biz|me|app|tech|au|nl|es|it"
    r"|ie|in|jp|eu|ch|se|dk|nz|mx|br)"
)
#: Any ``local@domain`` form, dotted domain or not: a leaked address is worse than a
#: redacted ``user@host``. ``\w`` takes internationalized local parts and domains.
_EMAIL = re.compile(r"[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,4}")
_AT = r"(?:\s{0,2}[\[({<]\s?at\s?[\])}>]\s{0,2}|\s{1,2}at\s{1,2})"
_DOT = r"(?:\.|\s{0,2}[\[({<]\s?dot\s?[\])}>]\s{0,2}|\s{1,2}dot\s{1,2})"
_JOIN = r"(?:[._-]|\s(?:dot|underscore|dash|hyphen)\s)"
#: Words that precede a spoken "at" in ordinary speech ("we are at acme dot com" names a
#: website, not a mailbox).
_NOT_LOCAL = (
    r"(?:are|is|am|were|was|be|been|me|us|you|them|him|her|it|we|they|re|s|m|located|based"
    r"|here|there|live|online|available|find|reach|contact|up|out|now|also|still|only|just"
    r"|look|go|visit|shop|work|working|meet|see|call|email|mail|write)"
)
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w'’])(?!" + _NOT_LOCAL + r"\b" + _AT + r")"
    r"[a-z0-9%+]{1,40}(?:"
    + _JOIN
    + r"[a-z0-9%+]{1,40}){0,4}"
    + _AT
    + r"[a-z0-9]{1,40}(?:-[a-z0-9]{1,40}){0,3}"
    r"(?:"
    + _DOT
    + r"[a-z0-9]{1,40}(?:-[a-z0-9]{1,40}){0,3}){0,3}?"
    + _DOT
    + _TLDS
    + r"(?:"
    + _DOT
    + _TLDS
    + r")?\b",
    re.IGNORECASE,
)
_AT_GATE = re.compile(r"\bat\b", re.IGNORECASE)
#: Digit groups split by up to three separators; which 13–19 digits form a card is decided by
#: :func:`_cards` (Luhn), so the pattern itself is linear: groups and separators never overlap.
_DIGIT_RUN = re.compile(r"\d+(?:[ ./-]{1,3}\d+)*")
_CARD_GROUP = re.compile(r"\d+")
_SSN = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{4}(?!\d)")
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_ID_SEP = r"[ ./-]{0,2}"
#: A cue, then up to four words that are not digit words ("is", "number", "it's"), then nine
#: digits: run together or grouped by any separators, or spoken one by one. Only group ``id``
#: is replaced.
_SSN_CUED = re.compile(
    r"(?<![a-z])(?:s\.?s\.?n\b\.?|itin\b|social(?!\s+media)(?:\s+security)?\b)"
    r"(?:[\s,:#.'-]{1,3}(?!" + _DIGIT_WORD + r"\b)[a-z']{1,12}){0,4}?[\s,:#.-]{1,3}"
    r"(?P<id>(?<!\d)\d{3}" + _ID_SEP + r"\d{2}" + _ID_SEP + r"\d{4}(?![\d-])"
    r"|(?:(?:" + _DIGIT_WORD + r"|\d)[\s,.-]{1,3}){8}(?:" + _DIGIT_WORD + r"|\d)\b"
    r"(?![\s,.-]{1,3}(?:" + _DIGIT_WORD + r"\b|\d)))",
    re.IGNORECASE,
)
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE)
_STREET = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl"
    r"|terrace|parkway|pkwy|highway|hwy|square|sq|circle|cir|crescent|gardens|grove|mews"
    r"|plaza|alley|trail)"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH"
    "|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_CA_PROVINCES = "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT"
#: After a street, the place: an optional unit, then one to three capitalized city words and
#: a US state or Canadian province with its ZIP or postal code, or a UK postcode (``strong``);
#: or a state or province alone. Case-sensitive, so ordinary words after a street ("and then
#: we") are never taken.
_UNIT = r"(?:,?\s{1,2}(?:suite|ste|apt|unit|flat|floor|fl|#)\.?\s?#?\s?[A-Za-z0-9-]{1,6})?"
_CITY = r",?\s{1,2}(?:[A-Z][a-z'.-]{1,30}\s){0,2}[A-Z][a-z'.-]{1,30},?\s{1,2}"
_PLACE_STRONG = (
    _UNIT + r"(?-i:" + _CITY + r"(?:(?:" + _US_STATES + r")\s{1,2}\d{5}(?:-\d{4})?"
    r"|(?:" + _CA_PROVINCES + r")\s{1,2}[A-Z]\d[A-Z]\s?\d[A-Z]\d"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b)"
)
_PLACE_WEAK = _UNIT + r"(?-i:" + _CITY + r"(?:" + _US_STATES + "|" + _CA_PROVINCES + r")\b)"
_ADDRESS = re.compile(
    r"\b\d{1,6}(?:-?[A-Za-z](?![A-Za-z]))?\s(?:[A-Za-z][A-Za-z'.-]{0,30}\s){1,4}"
    + _STREET
    # after a dot (an abbreviation or a full stop?) only a place with a postal code, or one
    # after a comma ("St., Springfield, IL"), joins the address
    + r"\b(?:\.?"
    + _PLACE_STRONG
    + r"|(?:\.(?=,))?"
    + _PLACE_WEAK
    + r"|\.)?",
    re.IGNORECASE,
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


def _cards(run: str, offset: int) -> Iterator[tuple[int, int]]:
    """Spans of Luhn-valid 13–19 digit cards in one run of separated digit groups.

    A card starts and ends on group boundaries ("ref 12 4111 1111 1111 1111" holds a card
    after "12"); the longest valid card from the earliest group wins, then the search goes on
    after it. At most 19 digits are read from each group, so this is linear in the run.
    """
    groups = [(m.start(), m.end(), m.group()) for m in _CARD_GROUP.finditer(run)]
    i = 0
    while i < len(groups):
        digits = ""
        best = None
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_ok(digits):
                best = j
        if best is None:
            i += 1
            continue
        yield offset + groups[i][0], offset + groups[best][1]
        i = best + 1


def _spans(text: str, region: str) -> Iterator[tuple[int, int, str]]:
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield m.start(), m.end(), "[EMAIL]"
    if _AT_GATE.search(text):  # the spoken form is the costliest pattern: most turns skip it
        for m in _SPOKEN_EMAIL.finditer(text):
            yield m.start(), m.end(), "[EMAIL]"
    for m in _DIGIT_RUN.finditer(text):
        if m.end() - m.start() >= 13:
            for start, end in _cards(m.group(), m.start()):
                yield start, end, "[CARD]"
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
    folded = fold(text)
    chosen: list[tuple[int, int, str]] = []
    for folded_start, folded_end, label in _spans(folded.text, region):
        start, end = folded.span(folded_start, folded_end)
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
