"""Utterance → tokens (with character offsets) → number mentions.

Number words are read by ``text_to_num.text2num`` (the text2num library): it turns a whole
run like "two hundred and fifty" into 250 in well under a microsecond, so it is called on
each run directly, with no cache. What text2num leaves to the caller is handled here:
digits ("2,000", "1.5k", "3 thousand"), "a hundred", "a dozen", "a couple (of)", "half a
million", and ranges ("25 to 30", "between 10 and 15", "10-15"), which keep their upper bound.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from text_to_num import text2num

from signalroom.signals.phrases import ASCII_TOKEN, TOKEN

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {"twenty", "thirty", "forty", "fourty", "fifty", "sixty", "seventy", "eighty", "ninety"}
SCALES = {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
#: Scales text2num does not read: spoken abbreviations and South Asian multipliers
#: ("two mil", "twelve lakh" = 1,200,000, "three crore" = 30,000,000).
EXTRA_SCALES = {
    "mil": 1e6, "mill": 1e6, "mn": 1e6, "bn": 1e9, "bil": 1e9,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "crore": 1e7, "crores": 1e7,
}  # fmt: skip
#: Letter suffixes of written amounts: "3k", "2.5k", "1.2m", "4bn".
SUFFIXES = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9}
_MULTIPLIERS = {"dozen": 12.0, "dozens": 12.0, "couple": 2.0}
#: Fractions said before "of a <scale>": "three quarters of a million", "a third of a million".
FRACTIONS = {"quarter": 0.25, "quarters": 0.25, "third": 1 / 3, "thirds": 1 / 3}
NUMBER_WORDS = set(UNITS) | TENS | set(SCALES) | set(EXTRA_SCALES) | set(_MULTIPLIERS)
_ALL_SCALES = SCALES | EXTRA_SCALES
#: First characters of a digit token, and the words a spoken number can start with.
DIGIT_STARTS = frozenset("0123456789$€£")
NUMBER_STARTS = frozenset(NUMBER_WORDS | {"a", "an", "half"})
_VAGUE = frozenset({"few", "several", "many", "hundreds", "thousands", "couple"})
_RANGE_WORDS = {"to", "or", "through", "thru", "-"}
#: Punctuation that ASCII_TOKEN makes a token of its own.
_TRAILING = frozenset(".,?!;:#")
#: A run of this many separately spoken numbers is an ID or phone number, not a quantity.
_ID_RUN = 3
#: Longer runs of number words are never one quantity.
_MAX_RUN = 12


class Tokens:
    """Lower-cased words of one utterance and where each sits in the original text.

    Character offsets are found on first use only, and only as far as needed: most
    utterances yield no signal, and ``detect`` without evidence never needs them.
    """

    __slots__ = ("_kept", "_lowered", "_offsets", "_pattern", "_raw", "digits", "text", "words")

    def __init__(
        self,
        text: str,
        words: list[str],
        kept: list[int] | None,
        pattern: re.Pattern[str],
        lowered: str,
        digits: list[int],
        raw: list[str] | None = None,
    ) -> None:
        self.text = text
        self.words = words
        self.digits = digits  # positions of the words that are digit tokens ("40", "$5")
        self._kept = kept  # raw token index of each word, None when nothing was dropped
        self._pattern = pattern
        self._lowered = lowered
        self._raw = words if raw is None else raw  # every token, fillers included
        self._offsets: list[tuple[int, int]] = []

    def _offset(self, i: int) -> tuple[int, int]:
        k = i if self._kept is None else self._kept[i]
        offsets = self._offsets
        if k < len(offsets):
            return offsets[k]
        if self._pattern is not ASCII_TOKEN:
            self._offsets = offsets = [m.span() for m in self._pattern.finditer(self._lowered)]
            return offsets[k]
        # ASCII: each token is the first occurrence of its text after the previous token, as
        # no character the tokenizer skips can begin a token's text (a lone "$" is followed
        # by a non-digit), so str.find walks to it without a second regular-expression pass
        pos = offsets[-1][1] if offsets else 0
        find = self._lowered.find
        for token in self._raw[len(offsets) : k + 1]:
            start = find(token, pos)
            pos = start + len(token)
            offsets.append((start, pos))
        return offsets[k]

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self._offset(i)[0], self._offset(j - 1)[1]

    def snippet(self, i: int, j: int) -> str:
        start, end = self.span(i, j)
        return self.text[start:end]

    def hyphenated(self, i: int, j: int) -> bool:
        """Whether tokens ``[i, j)`` are joined to a neighbour by a hyphen in the text."""
        start, end = self.span(i, j)
        text = self.text
        return (start > 0 and text[start - 1] == "-") or (end < len(text) and text[end] == "-")

    def starts_upper(self, i: int) -> bool:
        return self.text[self._offset(i)[0]].isupper()


@dataclass(slots=True, init=False)
class Num:
    """A number mention over tokens ``[i, j)``; ``value`` is None for IDs, times and dates."""

    i: int
    j: int
    value: float | None
    money: bool
    is_range: bool

    # explicit: compiled to native code by mypyc (see signals/model.py)
    def __init__(
        self, i: int, j: int, value: float | None, money: bool = False, is_range: bool = False
    ) -> None:
        self.i = i
        self.j = j
        self.value = value
        self.money = money
        self.is_range = is_range


def tokenize(text: str, fillers: frozenset[str]) -> Tokens:
    """Tokens of ``text`` minus speech fillers and immediate repetitions ("we we're")."""
    lowered = text.lower()
    raw: list[str]
    digits: list[int] | None = None
    if text.isascii():
        pattern = ASCII_TOKEN  # same tokens, cheaper character classes
        raw, digits = _split_ascii(lowered)
    else:
        pattern = TOKEN
        if len(lowered) != len(text):  # a few characters lower-case to two; keep offsets
            lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        lowered = lowered.replace("’", "'")
        raw = pattern.findall(lowered)
    if fillers.isdisjoint(raw) and not _repeats(raw):
        if digits is None:
            digits = [i for i, w in enumerate(raw) if w[0] in DIGIT_STARTS]
        return Tokens(text, raw, None, pattern, lowered, digits)
    words: list[str] = []
    kept: list[int] = []
    last = ""
    for index, word in enumerate(raw):
        # ASR repeats words when a speaker restarts; repeated digits are data, not stutter
        if word in fillers or (word == last and word not in NUMBER_WORDS and word[0] > "9"):
            continue
        last = word
        words.append(word)
        kept.append(index)
    digits = [i for i, w in enumerate(words) if w[0] in DIGIT_STARTS]
    return Tokens(text, words, kept, pattern, lowered, digits, raw)


def _repeats(raw: list[str]) -> bool:
    """Whether a token repeats the one before it (mypyc compiles ``any`` over a generator to
    a loop that compares in C)."""
    return any(raw[k] == raw[k - 1] for k in range(1, len(raw)))


def _split_ascii(lowered: str) -> tuple[list[str], list[int]]:
    """``ASCII_TOKEN.findall(lowered)``, with the regular expression run on few chunks only,
    and the positions of the digit tokens.

    No token spans whitespace, so each whitespace-separated chunk tokenizes alone; a chunk of
    letters (``str.isalpha`` is ``[a-z]`` on lower-cased ASCII), optionally with one trailing
    punctuation mark, is its own token list, and only the other chunks (digits, apostrophes,
    symbols) go through the pattern. Same tokens, about half the time on plain speech.
    """
    out: list[str] = []
    digits: list[int] = []
    add = out.append
    for chunk in lowered.split():
        if chunk.isalpha():
            add(chunk)
        elif chunk[-1] in _TRAILING and chunk[:-1].isalpha():
            add(chunk[:-1])
            add(chunk[-1])
        elif chunk.isdecimal():  # "40": a digit token as it stands
            digits.append(len(out))
            add(chunk)
        elif _is_contraction(chunk):  # "we're": one token, as the pattern would make it
            add(chunk)
        else:
            for token in ASCII_TOKEN.findall(chunk):
                if token[0] in DIGIT_STARTS:
                    digits.append(len(out))
                add(token)
    return out, digits


def _is_contraction(chunk: str) -> bool:
    """Letters with single inner apostrophes ("we're", "o'clock"): ``[a-z]+('[a-z]+)*``."""
    return (
        "'" in chunk
        and chunk[0] != "'"
        and chunk[-1] != "'"
        and "''" not in chunk
        and chunk.replace("'", "").isalpha()
    )


def _digit_value(token: str) -> tuple[float | None, bool, float | None]:
    """(value, money, range upper) of a digit token; value None when it is not a count."""
    if token.isdecimal() and token.isascii():  # the usual "12": none of the cases below
        if len(token) > 9 or (len(token) > 1 and token[0] == "0"):
            return None, False, None
        return float(token), False, None
    money = token[0] in "$€£"
    if money:
        token = token[1:]
    if token.endswith("%") or token[-2:] in ("st", "nd", "rd", "th"):
        return None, money, None
    scale = 1.0
    if token[-1].isalpha():  # "3k", "1.2m", "4bn"
        stem = token.rstrip("kmbn")
        scale = SUFFIXES.get(token[len(stem) :], 0.0)
        if not scale or not stem:
            return None, money, None
        token = stem
    if "-" in token:
        parts = token.split("-")
        if len(parts) == 2 and all(p.isdigit() and len(p) <= 6 for p in parts):
            low, high = float(parts[0]), float(parts[1])
            return (high * scale, money, high * scale) if low < high else (None, money, None)
        return None, money, None
    if ":" in token or "/" in token:
        return None, money, None
    if "," in token:
        groups = token.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None, money, None
        token = "".join(groups)
    head = token.split(".", 1)[0]
    if token.count(".") > 1 or (len(head) > 1 and head[0] == "0") or len(head) > 9:
        return None, money, None
    return float(token) * scale, money, None


def _words_value(run: Sequence[str]) -> float | None:
    """Value of a run of number words, or None when it is a sequence of separate digits."""
    words = list(run)
    factor = 1.0
    if "and" in words and words[words.index("and") + 1 : words.index("and") + 3] == ["a", "half"]:
        return _and_a_half(words)
    if "point" in words:
        return _decimal(words)
    if len(words) > 1 and words[-1] in EXTRA_SCALES:  # "twelve lakh", "a crore"
        count = _words_value(words[:-1]) if words[:-1] != ["a"] else 1.0
        return None if count is None else count * EXTRA_SCALES[words[-1]]
    if len(words) >= 3 and words[-1] in SCALES:  # "a quarter of a million", "a third million"
        k = next((k for k in (-2, -4) if -k < len(words) and words[k] in FRACTIONS), 0)
        if k and (k == -2 or words[-3] == "of"):
            count = _words_value(words[:k])
            return None if count is None else count * FRACTIONS[words[k]] * SCALES[words[-1]]
    if words[0] == "half":  # "half a million"
        words, factor = words[2:], 0.5
    if words and words[0] in ("a", "an"):
        words = words[1:] if len(words) > 1 and words[1] in _MULTIPLIERS else ["one", *words[1:]]
    for name, mult in _MULTIPLIERS.items():
        if name in words:  # "two dozen", "a couple hundred"
            k = words.index(name)
            before = _words_value(words[:k]) if k else 1.0
            after = words[k + 1 :]
            rest = SCALES.get(after[0], 1.0) if after else 1.0
            if before is None or (after and after[0] not in SCALES):
                return None
            return factor * before * mult * rest
    if not words:
        return None
    phrase = " ".join(words)
    try:
        return factor * float(text2num(phrase, "en"))
    except ValueError:
        return None  # "four one five ..." read digit by digit: an ID, not a quantity


def _and_a_half(words: list[str]) -> float | None:
    """Read "X and a half": "one and a half thousand" is 1500, "a million and a half" 1.5e6."""
    k = words.index("and")
    whole = _words_value(words[:k]) if k else None
    tail = words[k + 3 :]
    if whole is None or (tail and (len(tail) > 1 or tail[0] not in SCALES)):
        return None
    if tail:
        return (whole + 0.5) * SCALES[tail[0]]
    last = words[k - 1]
    return whole + 0.5 * SCALES.get(last, 1.0)


def _decimal(words: list[str]) -> float | None:
    """Read "X point D... [scale]": "two point five million" is 2.5 million."""
    k = words.index("point")
    whole = _words_value(words[:k]) if k else 0.0
    rest = words[k + 1 :]
    scale = SCALES.get(rest[-1], 1.0) if rest else 1.0
    digits = rest[:-1] if rest and rest[-1] in SCALES else rest
    if whole is None or not digits or any(d not in UNITS or UNITS[d] > 9 for d in digits):
        return None
    fraction = float("0." + "".join(str(UNITS[d]) for d in digits))
    return (whole + fraction) * scale


def find_numbers(words: list[str], starts: list[int] | None = None) -> list[Num]:
    """Number mentions in order; ranges are merged into one mention with the upper bound.

    ``starts`` are the positions where a number may start, ascending (``Rules.scan`` finds
    them in its pass); without them every word is tried.
    """
    raw: list[Num] = []
    n = len(words)
    done = 0
    for i in range(n) if starts is None else starts:
        if i < done:
            continue
        w = words[i]
        if w[0] in DIGIT_STARTS:
            value, money, upper = _digit_value(w)
            j = i + 1
            if value is not None and j < n and words[j] in _ALL_SCALES:  # "3 thousand"
                value *= _ALL_SCALES[words[j]]
                j += 1
            if value is not None and j < n and words[j] in _MULTIPLIERS:
                value *= _MULTIPLIERS[words[j]]
                j += 1
            if j < n and words[j] in ("dollars", "bucks", "usd"):
                money = True
            raw.append(Num(i, j, value, money, upper is not None))
            done = j
            continue
        if w not in NUMBER_STARTS:
            continue
        follow = _RUN_NEEDS.get(w)
        if follow is not None and (i + 1 >= n or words[i + 1] not in follow):
            continue  # "a", "an", "half" that start no number (nearly every article)
        j = _word_run_end(words, i)
        if j == i + 1:
            value = _ONE_WORD[w]
            if value is not None:
                raw.append(Num(i, j, value))
            done = j
        elif j > i:
            raw.extend(_read_run(words, i, j))
            done = j
    return _merge_ranges(words, raw) if len(raw) > 1 else raw


#: What a run of one number word reads as (``_words_value`` of it, computed once).
_ONE_WORD: dict[str, float | None] = {w: _words_value([w]) for w in NUMBER_WORDS}
#: Words that start a number only before one of these (see ``_word_run_end``).
_RUN_NEEDS: dict[str, frozenset[str]] = {
    "a": frozenset(_ALL_SCALES) | frozenset(_MULTIPLIERS) | frozenset(FRACTIONS),
    "an": frozenset(_ALL_SCALES) | frozenset(_MULTIPLIERS),
    "half": frozenset({"a", "an"}),
}


def _read_run(words: list[str], i: int, j: int) -> list[Num]:
    """One run of number words: a number, a few numbers ("forty forty five"), or an ID."""
    if j - i > _MAX_RUN:
        return [Num(i, j, None)]
    run = words[i:j]
    value = _words_value(run)
    if value is not None:
        return [Num(i, j, value)]
    if sum(1 for x in run if x in UNITS) >= _ID_RUN:
        return [Num(i, j, None)]  # digits read one by one: a phone or account number
    out: list[Num] = []
    start = i
    while start < j:  # longest readable prefix first; runs are short, so this stays small
        for end in range(j, start, -1):
            value = _words_value(words[start:end])
            if value is not None:
                out.append(Num(start, end, value))
                start = end
                break
        else:
            start += 1
    return out


def _word_run_end(words: list[str], i: int) -> int:
    n = len(words)
    w = words[i]
    j = i
    if (
        w == "half"
        and i + 2 < n
        and words[i + 1] in ("a", "an")
        and (words[i + 2] in _ALL_SCALES or words[i + 2] == "dozen")
    ):  # "half a million", "half a dozen"
        j = i + 2
    elif w in ("a", "an"):
        if i + 1 < n and words[i + 1] in FRACTIONS:
            size = _fraction_of_scale(words, i + 1)
            return i + 1 + size if size else i
        if (i + 1 < n and words[i + 1] in _ALL_SCALES) or (
            i + 1 < n and words[i + 1] in _MULTIPLIERS and _couple_counts(words, i + 1)
        ):
            j = i + 1
        else:
            return i
    elif (
        w not in NUMBER_WORDS
        or (w in _MULTIPLIERS and not _couple_counts(words, i))
        or ((w in SCALES or w in _MULTIPLIERS) and i > 0 and words[i - 1] in _VAGUE)
    ):
        return i
    while j < n:
        x = words[j]
        if (x in NUMBER_WORDS and (x not in _MULTIPLIERS or _couple_counts(words, j))) or (
            x == "and"
            and j + 1 < n
            and words[j - 1] in SCALES
            and (words[j + 1] in UNITS or words[j + 1] in TENS)
        ):
            j += 1
        elif x == "and" and words[j + 1 : j + 3] == ["a", "half"]:
            j += 3  # "two and a half", "a million and a half"
        elif x == "point" and j + 1 < n and words[j + 1] in UNITS:
            j += 1  # "two point five million"
        elif x in FRACTIONS and _fraction_of_scale(words, j):
            return j + _fraction_of_scale(words, j)  # "three quarters of a million"
        else:
            break
    return j


def _fraction_of_scale(words: list[str], k: int) -> int:
    """Length of a fraction of a scale at ``k``: 4 for "quarters of a million", 2 for
    "quarter million", else 0."""
    if k + 1 < len(words) and words[k + 1] in SCALES:
        return 2
    if (
        k + 3 < len(words)
        and words[k + 1] == "of"
        and words[k + 2] in ("a", "an")
        and words[k + 3] in SCALES
    ):
        return 4
    return 0


def _couple_counts(words: list[str], k: int) -> bool:
    """Whether dozen/couple is a number here: "a couple of us", "couple hundred", "a dozen"."""
    if words[k] == "dozen":
        return True
    if words[k] == "dozens":  # "two hundred dozens" is a number, "dozens of" alone is vague
        return k > 0 and words[k - 1] in NUMBER_WORDS and words[k - 1] not in _MULTIPLIERS
    nxt = words[k + 1] if k + 1 < len(words) else ""
    return nxt in SCALES or nxt == "of" or (k > 0 and words[k - 1] in ("a", "the"))


def _merge_ranges(words: list[str], nums: list[Num]) -> list[Num]:
    out: list[Num] = []
    for num in nums:
        prev = out[-1] if out else None
        # a range has exactly one word between its ends: "10 to 15", "between 10 and 15"
        if (
            prev is not None
            and num.i - prev.j == 1
            and prev.value is not None
            and num.value is not None
        ):
            gap = words[prev.j]
            between = gap == "and" and prev.i > 0 and words[prev.i - 1] == "between"
            if gap in _RANGE_WORDS or between:
                start = prev.i - 1 if between else prev.i
                high = max(prev.value, num.value)
                out[-1] = Num(start, num.j, high, prev.money or num.money, True)
                continue
        out.append(num)
    return out
