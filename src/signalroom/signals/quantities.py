"""team_size and monthly_volume: which number counts people, which counts documents.

A number counts people when a headcount noun follows it ("20 people", "a dozen lawyers",
"eight of us") or a headcount cue precedes a bare number ("a team of 12"). It counts volume
when a volume noun follows it and a period ("a week") or a present-tense processing verb
("we review ...") goes with it. Anything else (prices, years, IDs, times, counts of other
things) has no such noun and is left alone: a signal needs positive evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from signalroom.signals.model import Found
from signalroom.signals.rules import (
    HEAD_APPROXIMATOR,
    HEAD_BOUNDARY,
    HEAD_GENERIC,
    HEAD_MODIFIER,
    HEAD_OTHER,
    HEAD_ROLE,
    HEAD_STOP,
    HEAD_VOLUME,
    MAX_PHRASE,
    RATE,
    TEAM_BLOCK_AFTER,
    TEAM_BLOCK_BEFORE,
    TEAM_CONTEXT,
    TEAM_PHRASE,
    TEAM_USE,
    VOLUME_VERB,
    Hit,
    Rules,
    within,
)
from signalroom.signals.tokens import Num, Tokens

_HEAD_WINDOW = 3
_RATE_WINDOW = 6
_NEXT_RATE = 2
_ELIDED_REACH = 4  # words between a named work item and its bare count: ", like about"
#: all that may sit between that item and its count (approximators are skipped before)
_ELIDED_FILLER = frozenset({",", "-", "like", "maybe", "say", "probably", "um", "uh", "so"})
_USE_WINDOW = 6
_VERB_WINDOW = 4
_MAX_APPROXIMATORS = 4
_HARD_STOPS = frozenset({".", "?", "!", ";"})
# Before a processing verb these make it a single act, not a habit ("I need to upload 3 files",
# "it won't send 2 invoices"), so a count with no period is not a monthly volume.
_ONE_OFF_BEFORE = frozenset({"to", "can't", "cannot", "couldn't", "won't", "wouldn't", "didn't"})
#: Approximators that follow a number: "a dozen or so", "fifty ish", "20 odd".
_AFTER_NUMBER = frozenset({"or", "ish", "give", "odd", "plus", "some"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Plural words that never count work items: times, sizes, amounts, body counts.
_NOT_ITEMS = _words(
    """
    times hours minutes seconds days weeks months years nights mornings evenings dollars
    pounds euros cents bucks rupees yen miles kilometers kilometres meters metres feet
    inches yards gallons liters litres ounces grams kilos kilograms tons tonnes degrees
    calories steps reps sets laps points percents bits bytes megabytes gigabytes kids
    sons daughters dogs cats friends parents siblings grandkids bedrooms bathrooms
    others ones things guys folks lots tons views pageviews visitors visits impressions
    clicks downloads followers subscribers likes streams listeners viewers readers
    """
)
#: The word before a count that adds the speaker: "me plus four", "myself and my two".
_PLUS_BEFORE = frozenset({"plus", "and", "my"})
_YEAR_BEFORE = frozenset({"in", "since", "from", "until", "till", "by", "of", "the", "year"})


# Explicit __init__s: compiled to native code by mypyc (see signals/model.py).
@dataclass(slots=True, init=False)
class _Head:
    kind: str  # "generic" | "role" | "volume" | "guess" | "bare" | "open"
    start: int
    end: int
    label: str

    def __init__(self, kind: str, start: int, end: int, label: str = "") -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.label = label


@dataclass(slots=True, init=False)
class Quantities:
    team: int | None
    team_evidence: Found | None
    volume: float | None
    volume_evidence: Found | None
    #: the industry of the role nouns counted ("a dozen lawyers"): the detector uses it only
    #: when the turn also names the speaker's organization ("here at the firm")
    role_evidence: Found | None

    def __init__(self) -> None:
        self.team = None
        self.team_evidence = None
        self.volume = None
        self.volume_evidence = None
        self.role_evidence = None


#: What an utterance with no number and no headcount phrase says (never modified).
NO_QUANTITIES = Quantities()


def find_quantities(r: Rules, tk: Tokens, nums: list[Num], hits: list[list[Hit]]) -> Quantities:
    if not nums and not hits[TEAM_PHRASE]:
        return NO_QUANTITIES
    words = tk.words
    starts = {n.i for n in nums}
    generic: list[tuple[int, int, int]] = []  # (value, i, j)
    #: counts said with "would use it": a narrower group named as the users wins
    #: ("142 people on the floor, but only the twelve supervisors would use it")
    users: list[tuple[int, int, int]] = []
    roles: list[tuple[int, int, int, str, str]] = []  # (value, i, j, noun, industry)
    volumes: list[tuple[float, int, int, str]] = []
    for i, j, value in hits[TEAM_PHRASE]:
        generic.append((value, i, j))
    booked: list[bool] | None = None
    booked_done = False  # computed on the first count of people only
    n = len(words)
    approximator_ends = r.approximators.lasts
    label_ends = r.label_before.lasts
    # each helper below is called only when its first, cheap condition holds: most numbers
    # need none of them, and on a turn's first pass every call runs cold (measured: about a
    # microsecond each in the benchmark's mix of utterances)
    blockers = hits[TEAM_BLOCK_BEFORE] or hits[TEAM_BLOCK_AFTER]
    for num in nums:
        if num.value is None or num.money:
            continue
        i = num.i
        if (
            (i > 0 and words[i - 1] in label_ends) or (num.j - i == 1 and len(words[i]) == 4)
        ) and _is_label(r, words, num):
            continue
        # where the words before the number end once "about", "over" are skipped (read by
        # the headcount cue, the blockers and the verb test; found once per number)
        before = _skip_back(r, words, i) if i > 0 and words[i - 1] in approximator_ends else i
        # in "two hundred dozens of units" the noun comes after "of"
        dozens_of = num.j < n and words[num.j] == "of" and words[num.j - 1] == "dozens"
        after = num.j + 1 if dozens_of else num.j
        head = _head(r, words, after, starts)
        if (head is None or head.kind in ("bare", "open")) and hits[RATE] and hits[VOLUME_VERB]:
            elided = _elided_item(r, words, num, before, starts, hits)
            if elided is not None:
                volumes.append(elided)
                continue
        if head is None:
            continue
        if head.kind == "guess":
            # a noun of no table counts as a work item only with a period ("one hundred
            # thousand shipping labels a week"); without one it may still count people
            # ("100,000 students and staff would have access")
            factor, end = _rate(words, num, head.end, starts, hits[RATE], reach=_NEXT_RATE)
            if factor is not None:
                noun = " ".join(words[head.start : head.end])
                volumes.append((num.value * factor, num.i, max(head.end, end), noun))
                continue
            head = _Head("open", num.j, num.j)
        if head.kind in ("generic", "role") and hits[RATE]:
            # a headcount noun said with a period counts arrivals, not a team ("5 new hires a
            # month", "200 leads a week"); the noun may also be a work item
            factor, end = _rate(words, num, head.end, starts, hits[RATE], reach=_NEXT_RATE)
            if factor is not None:
                if r.volume_nouns.match(words, head.start)[0]:
                    noun = " ".join(words[head.start : head.end])
                    volumes.append((num.value * factor, num.i, max(head.end, end), noun))
                continue
        if head.kind in ("generic", "role", "bare", "open"):
            start = num.i
            if generic and head.kind != "role" and _another(words, num.i):
                if num.value >= 1 and num.value == int(num.value):
                    # "25 people in sales and another 10 in support"
                    total = generic[-1][0] + int(num.value)
                    generic.append((total, generic[-1][1], max(head.end, num.j)))
                continue
            if head.kind in ("bare", "open"):
                start = _left_cue(r, words, before, strong=head.kind == "open")
                if start < 0:
                    used = _used_by(words, num, hits, starts) if hits[TEAM_USE] else 0
                    if not used:
                        continue
                    start, head.end = num.i, used
            if num.value < 1 or num.value != int(num.value):
                continue
            if not booked_done:  # a context phrase or a clock time ("8:30") marks a sentence
                if hits[TEAM_CONTEXT] or ":" in tk.text:
                    booked = _booked_sentences(tk, hits[TEAM_CONTEXT])
                booked_done = True
            if (booked is not None or blockers) and _team_blocked(
                tk, num, before, head, hits, booked
            ):
                continue
            count = int(num.value)
            if i > 1 and words[i - 1] in _PLUS_BEFORE and _plus_me(words, i):
                count += 1  # "me plus four"
            if head.kind == "role":
                noun = " ".join(words[head.start : head.end])
                roles.append((count, num.i, head.end, noun, head.label))
            else:
                generic.append((count, start, max(head.end, num.j)))
            if hits[TEAM_USE] and _used_by(words, num, hits, starts):
                users.append((count, start, max(head.end, num.j)))
        elif head.kind == "volume":
            factor, end = _rate(words, num, head.end, starts, hits[RATE])
            if factor is None and _has_verb(words, before, hits[VOLUME_VERB]):
                factor = 1.0
            if factor is not None:
                noun = " ".join(words[head.start : head.end])
                volumes.append((num.value * factor, num.i, max(head.end, end), noun))
    out = Quantities()
    if users:
        value, i, j = users[-1]
        out.team = value
        out.team_evidence = Found("team_size", value, i, j)
    elif generic:
        value, i, j = generic[-1]  # a later figure corrects an earlier one ("so nine users")
        out.team = value
        out.team_evidence = Found("team_size", value, i, j)
    elif roles:
        nouns = {noun for *_, noun, _ in roles}
        total = sum(v for v, *_ in roles) if len(nouns) == len(roles) else roles[-1][0]
        out.team = total
        out.team_evidence = Found("team_size", total, roles[0][1], roles[-1][2])
    for _value, i, j, _noun, label in roles:
        if label:
            out.role_evidence = Found("industry", label, i, j)
            break
    if volumes:
        nouns = {v[3] for v in volumes}
        best = volumes[-1] if len(nouns) == 1 else max(volumes, key=lambda v: v[0])
        rounded = round(best[0], 1)
        out.volume = rounded
        out.volume_evidence = Found("monthly_volume", rounded, best[1], best[2])
    return out


def _another(words: list[str], i: int) -> bool:
    return i > 0 and words[i - 1] in ("another", "more")


def _plus_me(words: list[str], i: int) -> bool:
    """Whether the speaker is added to a count: "me and four others", "myself plus two"."""
    k = i - 1
    if k >= 0 and words[k] == "my":
        k -= 1
    return k > 0 and words[k] in ("plus", "and") and words[k - 1] in ("me", "myself")


def _is_label(r: Rules, words: list[str], num: Num) -> bool:
    """A label, not a count: "version 2", "room 5", "in 2015"."""
    if (
        num.i > 0
        and words[num.i - 1] in r.label_before.lasts
        and r.label_before.match_before(words, num.i)[0]
    ):
        return True
    token = words[num.i]
    if num.j - num.i == 1 and len(token) == 4 and token.isdigit() and token[:2] in ("19", "20"):
        return num.i > 0 and words[num.i - 1] in _YEAR_BEFORE
    return False


def _head(r: Rules, words: list[str], j: int, starts: set[int]) -> _Head | None:
    """The noun a number counts: the first known noun within a few words after it."""
    n = len(words)
    k = j
    bare_at = j  # where a bare number's next word sits, after "or so" / "ish"
    seen = 0
    people = True  # "5 more people" and "3 new hires" are not today's headcount
    cues = r.head_cues
    guess = -1  # the first plural word of no table: perhaps a work item of a trade we lack
    while k < n and seen < _HEAD_WINDOW:
        if k in starts:  # another number: "a team of 25 handling 2,000 tickets a week"
            return _Head("open", j, j) if k > bare_at and people else None
        flags = cues.get(words[k], 0)  # which tables have a phrase starting with this word
        if not flags:
            if guess < 0 and _plural_noun(words[k]):
                guess = k
            seen += 1
            k += 1
            continue
        if flags & HEAD_APPROXIMATOR and words[k] in _AFTER_NUMBER:  # "a dozen or so lawyers"
            size, _ = r.approximators.match(words, k)
            if size:
                if k == bare_at:
                    bare_at = k + size
                k += size
                seen += 1
                continue
        if people:
            if flags & HEAD_GENERIC:
                size, _ = r.team_generic.match(words, k)
                if size:
                    return _Head("generic", k, k + size)
            if flags & HEAD_ROLE:
                size, label = r.team_roles.match(words, k)
                if size:
                    return _Head("role", k, k + size, label or "")
        if flags & HEAD_OTHER and r.other_heads.match(words, k)[0]:
            return None  # before work items: "page views" is no count of pages
        if flags & HEAD_VOLUME:
            size, _ = r.volume_nouns.match(words, k)
            if size:
                return _Head("volume", k, k + size)
        if flags & HEAD_STOP or (flags & HEAD_BOUNDARY and r.boundary.match(words, k)[0]):
            if k == bare_at and people:
                return _Head("bare", j, j)
            if guess >= 0 and k == guess + 1:
                return _Head("guess", guess, k)
            return _Head("open", j, j) if people else None
        if flags & HEAD_MODIFIER:
            people = False
        seen += 1
        k += 1
    if k >= n and k == bare_at:
        return _Head("bare", j, j)
    if guess >= 0 and (k >= n or k == guess + 1):
        return _Head("guess", guess, guess + 1)
    # no noun nearby ("a team of 12 using hubspot"): only a strong cue makes it a headcount
    return _Head("open", j, j) if people else None


def _plural_noun(word: str) -> bool:
    """A word that can be a plural count noun: letters ending in "s", not "-ss"/"-us"/"-is"."""
    return (
        len(word) > 3
        and word[-1] == "s"
        and word[-2] not in "su'"
        and word.isalpha()
        and word not in _NOT_ITEMS
    )


def _skip_back(r: Rules, words: list[str], i: int) -> int:
    """Index just after the words before ``i`` once approximators ("about", "over") are skipped."""
    ends = r.approximators.lasts
    for _ in range(_MAX_APPROXIMATORS):
        if i <= 0 or words[i - 1] not in ends:
            break
        size, _ = r.approximators.match_before(words, i)
        if not size:
            break
        i -= size
    return i


def _left_cue(r: Rules, words: list[str], end: int, *, strong: bool = False) -> int:
    """Start of a headcount cue ending at ``end`` (where the words before a bare number end
    once approximators are skipped: "a team of about 12"), or -1.

    ``strong``: the number is followed by words that are not a noun of ours ("a team of 12
    using hubspot"); only a cue that names the group ("team of", "staff of") then counts,
    not "we're" or "there are", after which such a number counts anything."""
    table = r.team_left_strong if strong else r.team_left
    size, _ = table.match_before(words, end)
    return end - size if size else -1


def _team_blocked(
    tk: Tokens,
    num: Num,
    before: int,
    head: _Head,
    hits: list[list[Hit]],
    booked: list[bool] | None,
) -> bool:
    """Whether a blocker phrase ends at ``before`` (the number's start, approximators
    skipped) or follows the count in its sentence."""
    words = tk.words
    if booked is not None and booked[num.i]:
        return True
    blocks_before, blocks_after = hits[TEAM_BLOCK_BEFORE], hits[TEAM_BLOCK_AFTER]
    if not blocks_before and not blocks_after:
        return False
    if any(e == before for _, e, _ in within(blocks_before, before - MAX_PHRASE, before)):
        return True
    end = max(head.end, num.j)
    for s, _, _ in within(blocks_after, end, end + _RATE_WINDOW):
        if _HARD_STOPS.isdisjoint(words[end:s]):
            return True
    return False


def _booked_sentences(tk: Tokens, context: list[Hit]) -> list[bool] | None:
    """For each token, whether its sentence speaks of a booking, a ride or a show (a context
    phrase or a clock time such as "8:30" is in it); None when no sentence does. Two passes
    over the tokens at most."""
    words = tk.words
    marks = [i for i, _, _ in context]
    marks.extend(i for i in tk.digits if ":" in words[i])
    if not marks:
        return None
    sentence = [0] * len(words)
    current = 0
    for k, w in enumerate(words):
        sentence[k] = current
        if w in _HARD_STOPS:
            current += 1
    flagged = {sentence[i] for i in marks}
    return [sentence[k] in flagged for k in range(len(words))]


def _used_by(words: list[str], num: Num, hits: list[list[Hit]], starts: set[int]) -> int:
    """End of a "would use it" phrase a few words after a count of people, or 0."""
    for s, e, _ in within(hits[TEAM_USE], num.j, num.j + _USE_WINDOW):
        between = words[num.j : s]
        if _HARD_STOPS.isdisjoint(between) and not any(k in starts for k in range(num.j, s)):
            return e
    return 0


def _rate(
    words: list[str],
    num: Num,
    after: int,
    starts: set[int],
    rates: list[Hit],
    reach: int = _RATE_WINDOW,
) -> tuple[float | None, int]:
    """Per-month factor of the period said with a volume: "... a week", "every day we ...".

    ``reach``: how far after the noun the period may start (before the number: always
    ``_RATE_WINDOW``; a smaller reach asks for a period right after the noun only)."""
    if not rates:
        return None, 0
    i = num.i
    if reach == _RATE_WINDOW:  # a period before the number first: "every month we ..."
        for _s, e, factor in within(rates, i - _RATE_WINDOW, i):
            if e <= i:
                between = words[e:i]
                if "," not in between and _HARD_STOPS.isdisjoint(between):
                    return float(factor), e
    for s, e, factor in within(rates, after, after + reach):
        if _HARD_STOPS.isdisjoint(words[after:s]) and not any(k in starts for k in range(after, s)):
            return float(factor), e
    return None, 0


def _elided_item(
    r: Rules, words: list[str], num: Num, before: int, starts: set[int], hits: list[list[Hit]]
) -> tuple[float, int, int, str] | None:
    """A bare count with a period right after it whose work item was named just before, after
    a processing verb: "we scan intake forms, like 800 a month" (not "forms cost 800 a month":
    the noun must follow a verb of the volume table)."""
    assert num.value is not None
    factor, end = _rate(words, num, num.j, starts, hits[RATE], reach=_NEXT_RATE)
    if factor is None:
        return None
    for k in range(before - 1, max(-1, before - _ELIDED_REACH - 2), -1):
        if k in starts:
            return None
        size, _ = r.volume_nouns.match(words, k)
        if size and k + size <= before:
            if not _has_verb(words, k, hits[VOLUME_VERB]):
                return None
            return num.value * factor, k, end, " ".join(words[k : k + size])
        if words[k] not in _ELIDED_FILLER:
            return None
    return None


def _duty(words: list[str], k: int) -> bool:
    """True for "have to": "we have to review 200 contracts" is a routine, not a single act."""
    return words[k] == "to" and k > 0 and words[k - 1] in ("have", "has", "got", "gotta")


def _has_verb(words: list[str], end: int, verbs: list[Hit]) -> bool:
    """A processing verb shortly before ``end`` (the number's start, approximators skipped):
    "we review about 300 contracts"."""
    if not verbs:
        return False
    for s, e, _ in within(verbs, end - _VERB_WINDOW - MAX_PHRASE, end):
        if s > 0 and words[s - 1] in _ONE_OFF_BEFORE and not _duty(words, s - 1):
            continue
        if end - _VERB_WINDOW <= e <= end:
            between = words[e:end]
            if _HARD_STOPS.isdisjoint(between) and "," not in between:
                return True
    return False
