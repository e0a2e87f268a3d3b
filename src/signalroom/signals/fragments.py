"""Industry self-descriptions said without a subject: the answer to "what do you do?".

- A fragment with the speaker's group in the turn: "small law firm, three of us", "dental
  office here, we ...".
- A bare description: the turn (or its first clause) is only an indefinite or bare noun phrase
  whose head names a business or an occupation: "a mortgage broker", "a SaaS startup", "um,
  mostly a regional trucking company", "a chain of dental clinics". A product of the industry
  ("car insurance", "a real estate loan for my shop"), a plural ("law firms, mostly" names
  customers), an organization that acts ("a law firm referred us"), an errand ("a plumber, my
  sink is leaking", "thai restaurant, please") or a question is none.

Both read a few words at the start of the turn found by the same cue index as the anchors.
"""

from __future__ import annotations

from signalroom.signals.model import Found
from signalroom.signals.rules import Cue, Rules

_STOPS = frozenset({".", "?", "!", ";", ","})
#: Words a turn may open with before a fragment ("so, small law firm, ...").
_OPENERS = frozenset(
    {"so", "yeah", "yes", "well", "okay", "ok", "oh", "um", "uh", "hi", "hey", ","}
)
#: Hedges before a bare description ("mostly a trucking company", "just a small practice").
_HEDGES = frozenset(
    {"mostly", "mainly", "primarily", "basically", "just", "actually", "really", "only",
     "largely", "essentially", "honestly", "currently", "still", "oh", "well"}
)  # fmt: skip
#: Words that make a fragment's noun someone else's or a request ("the hospital, ...").
_NOT_MODIFIERS = frozenset(
    {"the", "my", "your", "his", "her", "their", "this", "that", "any", "some", "nearest",
     "closest", "best"}
)  # fmt: skip
#: Words that end a bare description's noun phrase as someone acting or referred to.
_OTHERS = frozenset(
    {"i", "we", "you", "they", "he", "she", "it", "us", "them", "me", "who", "which", "that",
     "is", "was", "are", "were", "has", "had", "does", "did", "will", "would", "can", "could"}
)  # fmt: skip
#: A clause after a bare phrase that makes it someone else or an errand.
_AFTER_COMMA = (_OTHERS - {"i", "we"}) | {"for", "to", "near", "by"}
_FRAGMENT_LEAD = 3
#: Describing words a bare description may have besides its cue ("a small regional ...").
_BARE_MODIFIERS = 4
_FRAGMENT_ENDS = frozenset({",", ".", "!", ";", "here", "with", "and", "of"})
#: What may follow a bare description: the end of its clause, "here" or its size ("with").
_BARE_ENDS = frozenset({",", ".", "!", ";", "here", "with"})
_SENTENCE_ENDS = frozenset({".", "?", "!"})
_INDEFINITE = frozenset({"a", "an", "one"})
_FIRST_PERSON = frozenset({"we", "we're", "we've", "we'd", "our", "ours", "i'm", "i've"})
#: Words of a request for a place or a booking: "italian restaurant, find one near us".
_REQUESTS = frozenset(
    {"find", "book", "near", "nearest", "closest", "reserve", "reservation", "recommend",
     "directions", "open", "hours", "table", "order", "call", "search", "show", "get"}
)  # fmt: skip

#: Words of a wish or a personal errand around a bare phrase: the phrase is then what the
#: speaker wants ("an italian restaurant, please", "a lawyer, i need one", "hotel, two nights").
_BARE_REQUESTS = _REQUESTS | frozenset(
    {"please", "need", "needs", "want", "looking", "my", "cheap", "cheapest", "nearby",
     "tonight", "tomorrow", "night", "nights", "room", "rooms", "appointment", "sued", "hire",
     "recommendation", "recommendations", "number", "asap", "urgently", "emergency"}
)  # fmt: skip


def fragment(r: Rules, words: list[str]) -> Found | None:
    """A self-description said as a fragment at the start of the turn, with the speaker's
    group in the same turn: "small law firm, three of us", "dental office here, we ..."."""
    n = len(words)
    k = 0
    while k < n and words[k] in _OPENERS:
        k += 1
    if (
        not r.industry.starts_within(words, k, k + _FRAGMENT_LEAD + 1)
        or (_FIRST_PERSON.isdisjoint(words) and not _of_us(words))
        or not _REQUESTS.isdisjoint(words)
    ):
        return None
    for start in range(k, min(k + _FRAGMENT_LEAD + 1, n)):
        size, cue = r.industry.match(words, start)
        if cue is not None:
            end = start + size
            if (
                cue.label is None
                or cue.verb
                or not (cue.org or (end < n and words[end] in r.org_nouns))
            ):
                return None
            if end < n and words[end] in r.org_nouns:
                end += 1
            after = words[end] if end < n else "."
            rest = words[end:]
            if after in _FRAGMENT_ENDS and (not _FIRST_PERSON.isdisjoint(rest) or _of_us(rest)):
                return Found("industry", cue.label, start, end)
            return None
        w = words[start]
        if w in _STOPS or w in _NOT_MODIFIERS or w in r.blockers.firsts:
            return None
    return None


def _of_us(words: list[str]) -> bool:
    """ "three of us", "a pair of us": the speaker's group is counted."""
    return any(words[k] == "us" and words[k - 1] == "of" for k in range(1, len(words)))


def bare_description(r: Rules, words: list[str]) -> Found | None:
    """The turn opens with a noun phrase naming a business or occupation and nothing else in
    its clause: "a mortgage broker", "small accounting practice", "a chain of dental clinics".
    The last cue of the phrase is its head ("a boutique law firm" is legal)."""
    n = len(words)
    k = 0
    while k < n and (words[k] in _OPENERS or words[k] in _HEDGES):
        k += 1
    if k < n and words[k] in _INDEFINITE:
        k += 1
    if not r.industry.starts_within(words, k, k + _BARE_MODIFIERS + 3):
        return None
    firsts = r.industry.first_words
    best: tuple[int, int, Cue] | None = None
    collective = False
    modifiers = 0
    end = k
    while end < n:
        w = words[end]
        if w in firsts:
            size, cue = r.industry.match(words, end)
            if cue is not None:
                if cue.label is None or cue.verb:
                    return None  # "a real estate loan", "builds ..."
                best = (end, end + size, cue)
                end += size
                continue
        if best is not None and best[1] == end and w in r.org_nouns:
            best = (best[0], end + 1, best[2])  # "a cabinet manufacturing company"
            end += 1
            continue
        if w == "of" and end > k and words[end - 1] in r.collectives:
            collective = True  # "a chain of dental clinics"
            end += 1
            continue
        if (
            w in _BARE_ENDS
            or w in _STOPS
            or w in _OTHERS
            or w in _NOT_MODIFIERS
            or w in _INDEFINITE  # "it's an accounting practice": a subject came before
            or "'" in w  # "it's", "that's": a subject and its verb
            or (w in r.blockers.firsts and r.blockers.match(words, end)[0])
        ):
            break
        modifiers += 1
        if modifiers > _BARE_MODIFIERS:
            return None
        end += 1
    if best is None or best[1] != end or not _ends_clause(words, end):
        return None
    i, j, cue = best
    head = words[j - 1]
    if not (cue.org or head in r.fragment_heads) or (_plural(head) and not collective):
        return None
    if not _BARE_REQUESTS.isdisjoint(words):
        return None  # "a coffee shop, find one open now", "a plumber, my sink is leaking"
    assert cue.label is not None
    return Found("industry", cue.label, i, j)


def _ends_clause(words: list[str], end: int) -> bool:
    """Whether the phrase ending at ``end`` is its whole clause, in a sentence that is not a
    question ("a law firm?" asks) and not followed by someone acting ("a law firm, they ...")."""
    n = len(words)
    if end == n:
        return True
    if words[end] not in _BARE_ENDS:
        return False
    if words[end] == "," and end + 1 < n and words[end + 1] in _AFTER_COMMA:
        return False  # "a law firm, they referred us", "a moving company, for tuesday"
    for k in range(end, n):  # the rest of the first sentence: a question mark asks
        if words[k] in _SENTENCE_ENDS:
            return words[k] != "?"
    return True


def _plural(word: str) -> bool:
    """ "clinics", "law firms": a plural names customers more often than the speaker."""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
