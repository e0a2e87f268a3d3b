"""integration_needs, industry and urgency: vocabulary phrases read in their context.

- An integration alias counts unless the talk is about the company (news words nearby) or
  the speaker says they do not use it. Aliases that are also English words ("box",
  "outlook", "teams", "notion") need a usage frame: a preposition or verb before ("in box",
  "use teams"), a product noun after ("outlook calendar"), a list with another tool
  ("outlook and teams"), or a capital letter mid-sentence; a determiner before ("a box",
  "the outlook") or a per-word deny list rules them out.
- An industry cue counts only in a self-description: after an anchor ("we're a", "i run a",
  "our") with at most a few describing words between and no blocker ("need", "for", "about").
  In one description the last cue wins ("a boutique law firm" is legal).
- Urgency: the strongest stated level; calendar words ("this week") need an intent in the
  same utterance and no reporting context.
"""

from __future__ import annotations

from signalroom.signals.fragments import bare_description, fragment
from signalroom.signals.model import Found
from signalroom.signals.rules import (
    ANCHOR,
    INTEGRATION,
    INTENT,
    MAX_PHRASE,
    NEED,
    NEGATION,
    NEGATION_AFTER,
    NEWS,
    REPORT,
    URGENCY,
    Alias,
    Cue,
    Hit,
    Rules,
    UrgencyCue,
    within,
)
from signalroom.signals.tokens import Num, Tokens

_NEAR = 4
_NEGATION_REACH = 8
_NEED_REACH = 6
_PAST_REACH = 4
_CLAUSE_REACH = 10
_SPEAKER = frozenset(
    {"i", "we", "i'm", "we're", "i'd", "we'd", "i've", "we've", "i'll", "we'll", "me", "us", "our"}
)
_WORKPLACE_LINKS = frozenset({"at", "for"})
_DESTINATIONS = frozenset({"to", "onto", "into", "with", "for"})
_PAST_MARKERS = frozenset({"last", "ago", "yesterday", "earlier"})
_DENIALS = frozenset({"no", "not", "never", "isn't", "wasn't", "nothing", "without", "hardly"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Verbs of wishing: "we wanted to start right away" is a wish, whatever its tense.
_WISHES = _words(
    """
    need needs needed want wants wanted wish wished hope hoped planned like get got have
    please can could would let let's make
    """
)
_IRREGULAR_PAST = _words(
    """
    was were did had sent paid went came left took gave told said saw found bought sold
    spent lost began ran fell felt kept brought thought heard
    """
)
_STOPS = frozenset({".", "?", "!", ";", ","})
_SENTENCE_ENDS = frozenset({".", "?", "!"})
_ARTICLES = frozenset({"a", "an", "the"})
#: Words between an anchor and a cue that do not count toward ``max_gap``.
_UNCOUNTED = frozenset({"a", "an", "the", "of", "one"})
_FIELD_WORDS = frozenset({"industry", "business", "space", "sector", "field", "world", "market"})
_LEVELS = {"low": 1, "medium": 2, "high": 3}
_SUBJECT_ADVERBS = frozenset(
    {"also", "mostly", "mainly", "primarily", "basically", "just", "actually", "currently",
     "really", "only", "largely", "specifically", "essentially"}
)  # fmt: skip
#: Words that link a job title to the employer: "the office manager at a dental practice".
_EMPLOYER_LINKS = frozenset({"at", "for", "with", "of"})
#: Words between an anchor and its cue that ``max_gap`` does not count, at most.
_MAX_UNCOUNTED = 6
_OWN = frozenset({"our", "my", "the", "this"})
_HORIZON_FILLER = frozenset(
    {"the", "next", "about", "around", "roughly", "approximately", "like", "maybe", "just"}
)


def find_integrations(r: Rules, tk: Tokens, hits: list[list[Hit]]) -> list[Found]:
    aliases = hits[INTEGRATION]
    found: list[Found] = []
    if not aliases:
        return found
    accepted: list[tuple[int, int]] = []
    news = hits[NEWS]
    negations = bool(hits[NEGATION] or hits[NEGATION_AFTER])
    for pos, (i, j, alias) in enumerate(aliases):
        assert isinstance(alias, Alias)
        if (news and _near(news, i, j)) or (negations and _negated(hits, tk.words, i, j)):
            continue
        if alias.ambiguous and not _used_as_product(r, tk, aliases, pos, accepted):
            continue
        accepted.append((i, j))
        found.append(Found("integration_needs", alias.name, i, j))
    return found


def _near(spans: list[Hit], i: int, j: int) -> bool:
    lo = i - _NEAR - MAX_PHRASE
    return any(e > i - _NEAR for _, e, _ in within(spans, lo, j + _NEAR))


def _negated(hits: list[list[Hit]], words: list[str], i: int, j: int) -> bool:
    before = within(hits[NEGATION], i - _NEAR - MAX_PHRASE, i + 1)
    for _, e, _ in before:
        if i - _NEAR <= e <= i and not _destination(hits, words, e, i):
            return True
    return bool(within(hits[NEGATION_AFTER], j, j + _NEGATION_REACH))


def _destination(hits: list[list[Hit]], words: list[str], e: int, i: int) -> bool:
    """The tool at ``i`` is where the speaker goes after leaving the one the negation ending
    at ``e`` named: "moved off zoho to hubspot", "replacing box with sharepoint"."""
    if i < 1 or words[i - 1] not in _DESTINATIONS:
        return False
    return any(e <= s and end < i for s, end, _ in within(hits[INTEGRATION], e, i))


def _used_as_product(
    r: Rules, tk: Tokens, aliases: list[Hit], pos: int, accepted: list[tuple[int, int]]
) -> bool:
    words = tk.words
    i, j, alias = aliases[pos]
    prev = words[i - 1] if i > 0 else ""
    nxt = words[j] if j < len(words) else ""
    if nxt in r.product_after.firsts and r.product_after.match(words, j)[0]:
        return True
    if prev in r.deny_before.get(alias.name, ()) or nxt in r.deny_after.get(alias.name, ()):
        return False
    if prev in r.common_before:
        return False
    if prev in r.frame_before:
        return True
    # a list of tools: "outlook and teams", "teams or slack"
    if accepted:
        e = accepted[-1][1]
        if i - 2 <= e <= i and all(w in ("and", "or", ",", "&") for w in words[e:i]):
            return True
    for s, _, _ in aliases[pos + 1 : pos + 2]:
        if j < s <= j + 2 and all(w in ("and", "or", ",", "&") for w in words[j:s]):
            return True
    mid_sentence = i > 0 and prev not in _SENTENCE_ENDS
    # a capital letter mid-sentence names the product, unless a hyphen makes it part of
    # another name ("D-Box"); both read the text, so they come last
    return mid_sentence and tk.starts_upper(i) and not tk.hyphenated(i, j)


def find_industry(r: Rules, tk: Tokens, hits: list[list[Hit]]) -> Found | None:
    """The industry of the first self-description in the utterance."""
    words = tk.words
    anchors = hits[ANCHOR]
    if anchors:
        anchor_starts: set[int] | None = None  # made only when a description is read
        reach = r.max_gap + _MAX_UNCOUNTED
        for _, a_end, kind in anchors:
            # a look at the few words in reach first (bounded, so linear overall)
            if kind == "subject_anchors":
                if not r.industry.starts_within(words, a_end, a_end + 2):
                    continue  # a subject's verb comes right after it
            elif not r.industry.starts_within(words, a_end, a_end + reach):
                continue  # no phrase within reach of this anchor
            if anchor_starts is None:
                anchor_starts = {i for i, _, _ in anchors}
            found = _described(r, words, a_end, kind, anchor_starts)
            if found is not None:
                return found
        for a_start, a_end, kind in anchors:
            if kind == "work_anchors" and words[a_end - 1] in _WORKPLACE_LINKS:
                found = _workplace_before(r, words, a_start)
                if found is not None:
                    return found
    found = fragment(r, words)
    return found if found is not None else bare_description(r, words)


def _workplace_before(r: Rules, words: list[str], a_start: int) -> Found | None:
    """An organization named right before "i work at/for": "the hospital i work at" (a
    relative clause; "the law firm we work with" is a relation, not the speaker's employer)."""
    firsts = r.industry.first_words
    for k in range(max(1, a_start - r.max_gap), a_start):
        # "the hospital", "the small dental practice": one modifier may come between
        if words[k] not in firsts or _OWN.isdisjoint(words[max(0, k - 2) : k]):
            continue
        size, cue = r.industry.match(words, k)
        if cue is None or cue.label is None or k + size != a_start:
            continue
        last = words[a_start - 1]
        if cue.org or last in r.org_heads.get(cue.label, ()) or last in r.org_nouns:
            return Found("industry", cue.label, k, a_start)
    return None


def names_own_org(r: Rules, words: list[str]) -> bool:
    """Whether the turn names the speaker's organization with a generic noun: "our firm",
    "here at the practice", "my company" (not "the claims department")."""
    return any(words[k] in r.org_nouns and words[k - 1] in _OWN for k in range(1, len(words)))


def _described(
    r: Rules,
    words: list[str],
    a_end: int,
    kind: str,
    anchor_starts: set[int],
) -> Found | None:
    """The cue that describes the organization after one anchor; in one description the last
    cue wins ("a boutique law firm" is legal)."""
    best: tuple[int, int, str] | None = None
    blockers = r.blockers.firsts
    gap = 0
    # a job title or department was said: "i'm the office manager at a ...", and after a work
    # anchor the employer may follow one ("i work in accounts payable at a hospital")
    titled = kind == "work_anchors"
    n = len(words)
    k = a_end
    if kind == "subject_anchors" and k < n and words[k] in _SUBJECT_ADVERBS:
        k += 1  # "we mostly build custom homes"
    firsts = r.industry.first_words  # a cue is looked for only where one can start
    while k < n:
        w = words[k]
        if w in firsts:
            size, cue = r.industry.match(words, k)
            if cue is not None:
                if cue.label is None:
                    break
                if _cue_allowed(r, words, kind, a_end=a_end, i=k, j=k + size, cue=cue):
                    best = (k, k + size, cue.label)
                k += size
                continue
        if kind == "subject_anchors":
            break  # a subject is followed by its verb or describes nothing
        if w in r.role_words:
            titled = True
            if kind == "work_anchors":  # "i handle it for ...": a department, not a pronoun
                gap += 1
                k += 1
                continue
        elif (
            titled
            and w in _EMPLOYER_LINKS
            and kind != "subject_anchors"
            and (w != "of" or (k + 1 < n and words[k + 1] in _ARTICLES))
        ):
            titled = False  # "... manager at a ...": the employer follows
            kind = "anchors"
            gap = 0
            k += 1
            continue
        if (
            w in _STOPS
            or (w in blockers and r.blockers.match(words, k)[0])
            or (k in anchor_starts and k > a_end)
        ):
            break
        if w not in _UNCOUNTED:
            gap += 1
        if gap > r.max_gap:
            break
        k += 1
    if best is None:
        return None
    i, j, label = best
    return Found("industry", label, i, j)


def _cue_allowed(
    r: Rules, words: list[str], kind: str, *, a_end: int, i: int, j: int, cue: Cue
) -> bool:
    assert cue.label is not None
    if cue.verb or kind == "subject_anchors":
        # a verb cue only right after a subject ("we manufacture"), and nothing else there
        return cue.verb and kind == "subject_anchors"
    is_org = (
        cue.org
        or words[j - 1] in r.org_heads.get(cue.label, ())
        or words[j - 1] in r.org_nouns  # the cue ends in one: "restaurant group"
        or (j < len(words) and words[j] in r.org_nouns)
    )
    if kind == "possession_anchors":
        return is_org
    if kind == "field_anchors":
        article = i > a_end and words[i - 1] in _ARTICLES
        named_field = j < len(words) and words[j] in _FIELD_WORDS
        return named_field or (not article and not is_org)
    return True


def find_urgency(r: Rules, tk: Tokens, nums: list[Num], hits: list[list[Hit]]) -> Found | None:
    if not hits[URGENCY] and not nums:
        return None
    words = tk.words
    # an intent said of someone else ("my boss needs his report by friday") is not the speaker's
    intents = hits[INTENT]
    intent: bool | None = None  # read on first need: most turns have no calendar word
    needs = hits[NEED]
    report = bool(hits[REPORT])
    best: tuple[int, int, int, str] | None = None  # (rank, i, j, level)
    for i, j, cue in hits[URGENCY]:
        assert isinstance(cue, UrgencyCue)
        if cue.level is None:
            continue
        if cue.needs_intent:
            if report or not intents:
                continue
            if intent is None:
                intent = _speaker_intends(r, words, intents)
            if not intent:
                continue
        if cue.near_need and not _beside(r, words, needs, i, j):
            continue
        if cue.level == "high" and not cue.needs_intent and _past_or_denied(words, i, j):
            continue  # "sent the money immediately", "no fire drill"
        rank = _LEVELS[cue.level]
        if best is None or rank > best[0]:
            best = (rank, i, j, cue.level)
    if not report and intents:  # "the board meets in two weeks" says no one's timing
        for num in nums:
            level, start, end = _horizon(r, words, num)
            if level is None:
                continue
            if intent is None:
                intent = _speaker_intends(r, words, intents)
            if not intent:
                break
            if best is None or _LEVELS[level] > best[0]:
                best = (_LEVELS[level], start, end, level)
    if best is None:
        return None
    _, i, j, level = best
    return Found("urgency", level, i, j)


def _speaker_intends(r: Rules, words: list[str], intents: list[Hit]) -> bool:
    return any(not _said_of_other(r, words, h[0]) for h in intents)


def _past_or_denied(words: list[str], i: int, j: int) -> bool:
    """Whether haste at ``words[i]`` is told of the past or denied in its clause: "sent the
    money immediately", "no fire drill". A wish or a request in the clause ("i want this
    handled right away", "get it set up asap") makes it the speaker's haste after all."""
    past = denied = False
    for k in range(j, min(len(words), j + _PAST_REACH + 2)):
        if words[k] in _STOPS:
            break
        if words[k] in _PAST_MARKERS:  # "shut us off last friday"
            past = True
    for k in range(i - 1, max(-1, i - 1 - _CLAUSE_REACH), -1):
        w = words[k]
        if w in _STOPS:
            break
        if w in _WISHES:
            return False
        if i - k <= _PAST_REACH:
            denied = denied or w in _DENIALS
            past = past or w in _IRREGULAR_PAST or _regular_past(w)
    return past or denied


def _regular_past(word: str) -> bool:
    """ "-ed" past tense, not "-eed" ("sent" is irregular; "need", "speed" are not past)."""
    return len(word) > 4 and word.endswith("ed") and word[-3] != "e"


def _said_of_other(r: Rules, words: list[str], i: int) -> bool:
    """Whether the subject of the clause before ``words[i]`` is someone else: the nearest
    person named before it ("my manager wants it live") is not the speaker ("i", "we")."""
    for k in range(i - 1, max(-1, i - 1 - _CLAUSE_REACH), -1):
        w = words[k]
        if w in _STOPS or w in _SPEAKER:
            return False
        if w in r.other_party:
            return True
    return False


def _beside(r: Rules, words: list[str], needs: list[Hit], i: int, j: int) -> bool:
    """A need of the speaker's within a few words of ``[i, j)``, in the same sentence."""
    for s, e, _ in within(needs, i - _NEED_REACH - MAX_PHRASE, j + _NEED_REACH + 1):
        if _said_of_other(r, words, s):
            continue
        if e <= i and i - e <= _NEED_REACH:
            between = words[e:i]
        elif s >= j and s - j <= _NEED_REACH:
            between = words[j:s]
        else:
            continue
        if _SENTENCE_ENDS.isdisjoint(between):
            return True
    return False


def _lead_start(r: Rules, words: list[str], i: int) -> int:
    """Start of "within the next about" before a number, or ``i`` when there is no lead word."""
    k = i
    while k > 0 and words[k - 1] in _HORIZON_FILLER and i - k < 4:
        k -= 1
    return k - 1 if k > 0 and words[k - 1] in r.horizon_lead else i


def _horizon(r: Rules, words: list[str], num: Num) -> tuple[str | None, int, int]:
    """Level and span of a horizon like "within about three months" (medium) or "two years
    from now" (low): a lead word ("in", "within") or a trailing one ("from now", "hence")
    makes a count of days or months a time ahead. The caller asks for an intent in the turn
    ("15 days from today, what will the date be" wants nothing)."""
    if num.value is None or num.j >= len(words) or words[num.j] not in r.horizon_units:
        return None, 0, 0
    size, _ = r.horizon_trail.match(words, num.j + 1)
    start = _lead_start(r, words, num.i)
    if start == num.i and not size:
        return None, 0, 0
    days = num.value * r.horizon_units[words[num.j]]
    level = "high" if days <= r.high_max_days else "medium" if days <= r.medium_max_days else "low"
    return level, start, num.j + 1 + size
