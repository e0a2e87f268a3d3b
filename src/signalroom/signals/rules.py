"""A vocabulary compiled into lookup tables, and the one pass that finds every phrase.

All phrase families share one index keyed by a phrase's first word, so an utterance is
scanned once: a dict lookup per token, and a tuple comparison for the few phrases that
start with that word. Within a family the longest phrase at a position wins and matches do
not overlap (``"urgent care"`` hides ``"urgent"``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, KeysView
from dataclasses import dataclass, field
from typing import Any

from signalroom.signals.phrases import PhraseIndex, expand, phrase_set, words_of
from signalroom.signals.tokens import NUMBER_STARTS
from signalroom.signals.vocabulary import Vocabulary

# Phrase families found by the single scan.
INTEGRATION, INDUSTRY, ANCHOR, URGENCY, TEAM_PHRASE = 0, 1, 2, 3, 4
INTENT, REPORT, NEWS, NEGATION, NEGATION_AFTER = 5, 6, 7, 8, 9
TEAM_BLOCK_AFTER, TEAM_BLOCK_BEFORE, VOLUME_VERB, RATE = 10, 11, 12, 13
NEED, TEAM_CONTEXT, TEAM_USE = 14, 15, 16
FAMILIES = 17

#: (start, end, payload) of one phrase found in the token list.
Hit = tuple[int, int, Any]
#: The hits of a family that has none: shared, so never appended to (readers only read).
NO_HITS: list[Hit] = []
_Bucket = tuple[
    list[tuple[int, Any]],
    frozenset[str],
    tuple[tuple[int, dict[tuple[str, ...], list[tuple[int, Any]]]], ...],
    bool,
]
_NO_BUCKET: _Bucket = ([], frozenset(), (), False)


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    ambiguous: bool

    def __reduce__(self) -> tuple[type[Alias], tuple[str, bool]]:
        # mypyc's frozen classes refuse pickle's field-by-field restore: rebuild by __init__
        return (Alias, (self.name, self.ambiguous))


@dataclass(frozen=True, slots=True)
class Cue:
    label: str | None  # None: a phrase that looks like a cue but is not one
    org: bool
    #: an activity said as a verb after a subject ("we manufacture", "our company builds")
    verb: bool = False

    def __reduce__(self) -> tuple[type[Cue], tuple[str | None, bool, bool]]:
        # mypyc's frozen classes refuse pickle's field-by-field restore: rebuild by __init__
        return (Cue, (self.label, self.org, self.verb))


class CueIndex:
    """Industry phrases by first word, each length looked up directly: the vocabulary has
    thousands of phrases (the NAICS-derived taxonomy), most sharing a first word with many
    others, so a bucket is never scanned. Read only after an anchor, never over every word."""

    __slots__ = ("_index",)

    def __init__(self) -> None:
        #: first word -> (lengths, longest first; phrases; second words of the longer ones):
        #: most words that start a phrase are followed by no second word of one, so a match
        #: there is one lookup, not one per length
        self._index: dict[str, tuple[tuple[int, ...], dict[tuple[str, ...], Cue], set[str]]] = {}

    @property
    def first_words(self) -> KeysView[str]:
        """The words a phrase can start with (a set view: ``isdisjoint`` runs in C)."""
        return self._index.keys()

    def starts_within(self, words: list[str], lo: int, hi: int) -> bool:
        """Whether a phrase can start at one of ``words[lo:hi]``. A loop over the few words
        (mypyc compiles ``any`` over a generator to one), not ``isdisjoint`` of a slice:
        compiled, one dictionary probe a word, with no slice, view or method call made (this
        runs on every turn)."""
        index = self._index
        return any(words[k] in index for k in range(max(lo, 0), min(hi, len(words))))

    def add(self, phrase: tuple[str, ...], cue: Cue) -> None:
        lengths, table, seconds = self._index.get(phrase[0], ((), {}, set()))
        held = table.get(phrase)
        if held is not None:  # the first entry wins: the hand-written files come first,
            if cue.org and not held.org and held.label == cue.label:  # but "brewery" named
                table[phrase] = cue  # an organization by the taxonomy is one after "our"
            return
        table[phrase] = cue
        if len(phrase) not in lengths:
            lengths = tuple(sorted((*lengths, len(phrase)), reverse=True))
        if len(phrase) > 1:
            seconds.add(phrase[1])
        self._index[phrase[0]] = (lengths, table, seconds)

    def match(self, words: list[str], i: int) -> tuple[int, Cue | None]:
        """Length and cue of the longest phrase starting at ``words[i]`` (0 if none)."""
        entry = self._index.get(words[i])
        if entry is None:
            return 0, None
        lengths, table, seconds = entry
        n = len(words)
        if i + 1 >= n or words[i + 1] not in seconds:
            cue = table.get((words[i],))
            return (1, cue) if cue is not None else (0, None)
        for size in lengths:
            if i + size <= n:
                cue = table.get(tuple(words[i : i + size]))
                if cue is not None:
                    return size, cue
        return 0, None

    def __len__(self) -> int:
        return sum(len(table) for _, table, _ in self._index.values())

    def phrases(self) -> Iterable[tuple[str, ...]]:
        for _, table, _ in self._index.values():
            yield from table


@dataclass(frozen=True, slots=True)
class UrgencyCue:
    level: str | None  # None: looks like a cue but is not one
    needs_intent: bool
    #: counts only beside the speaker's own need ("i need it today"), not anywhere in the turn
    near_need: bool = False

    def __reduce__(self) -> tuple[type[UrgencyCue], tuple[str | None, bool, bool]]:
        # mypyc's frozen classes refuse pickle's field-by-field restore: rebuild by __init__
        return (UrgencyCue, (self.level, self.needs_intent, self.near_need))


@dataclass(slots=True)
class Rules:
    """Everything the detector looks up, built once per vocabulary."""

    #: first word -> (one-word entries, second words of longer phrases, longer phrases by
    #: length, longest first, whether a number can start at the word): most words start no
    #: longer phrase with the word that follows.
    index: dict[str, _Bucket] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    # quantities
    boundary: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    approximators: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    other_heads: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    label_before: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    team_generic: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    team_roles: PhraseIndex[str] = field(default_factory=PhraseIndex)
    team_left: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    team_left_strong: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    team_modifiers: frozenset[str] = frozenset()
    volume_nouns: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    #: word -> HEAD_* flags: which tables a number's noun search must try at that word
    #: (a word with no flags is skipped without a lookup)
    head_cues: dict[str, int] = field(default_factory=dict)
    # integrations
    deny_before: dict[str, frozenset[str]] = field(default_factory=dict)
    deny_after: dict[str, frozenset[str]] = field(default_factory=dict)
    frame_before: frozenset[str] = frozenset()
    product_after: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    common_before: frozenset[str] = frozenset()
    canonical: dict[str, str] = field(default_factory=dict)
    # industry
    industry: CueIndex = field(default_factory=CueIndex)
    org_heads: dict[str, frozenset[str]] = field(default_factory=dict)
    blockers: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    #: job titles: "i'm the office manager at a ..." still describes the speaker's employer
    role_words: frozenset[str] = frozenset()
    #: generic organization nouns: an activity followed by one is an organization
    #: ("our cabinet manufacturing company")
    org_nouns: frozenset[str] = frozenset()
    #: heads of a bare self-description ("a mortgage broker"), with ``org_nouns``
    fragment_heads: frozenset[str] = frozenset()
    #: nouns that take "of" inside a bare description ("a chain of clinics")
    collectives: frozenset[str] = frozenset()
    max_gap: int = 4
    # urgency
    horizon_units: dict[str, float] = field(default_factory=dict)
    horizon_lead: frozenset[str] = frozenset()
    horizon_trail: PhraseIndex[bool] = field(default_factory=PhraseIndex)
    #: subjects that make an intent someone else's ("my manager wants")
    other_party: frozenset[str] = frozenset()
    high_max_days: float = 31.0
    medium_max_days: float = 120.0

    def add(self, family: int, pattern: str, payload: Any) -> None:
        self.add_phrases(family, expand(pattern), payload)

    def add_phrases(self, family: int, phrases: Iterable[tuple[str, ...]], payload: Any) -> None:
        for phrase in phrases:
            single, seconds, longer, numeric = self.index.get(phrase[0], _NO_BUCKET)
            if len(phrase) == 1:
                entries = single = list(single)
            else:
                tables = dict(longer)
                entries = tables.setdefault(len(phrase), {}).setdefault(phrase, [])
                longer = tuple(sorted(tables.items(), reverse=True))
                seconds = seconds | {phrase[1]}
            if all(f != family for f, _ in entries):  # the first entry of a family wins
                entries.append((family, payload))
            self.index[phrase[0]] = (single, seconds, longer, numeric)

    def mark_numeric(self, words: Iterable[str]) -> None:
        """Let the scan report where each of ``words`` occurs (number-start candidates)."""
        for word in words:
            single, seconds, longer, _ = self.index.get(word, _NO_BUCKET)
            self.index[word] = (single, seconds, longer, True)

    def terms(self, *, industry: bool = True) -> set[str]:
        """Every phrase the detector looks for, as text (for the benchmark's regex floor):
        the scanned families and, with ``industry``, the industry phrases read after anchors."""
        out = {first for first, (single, _, _, _) in self.index.items() if single}
        for _, _, longer, _ in self.index.values():
            out.update(" ".join(p) for _, table in longer for p in table)
        if industry:
            out.update(" ".join(p) for p in self.industry.phrases())
        return out

    def scan(self, words: list[str]) -> tuple[list[list[Hit]], list[int]]:
        """Non-overlapping longest matches of every family, each list in text order, and the
        positions of the words a spoken number may start with (number words, "a", "an",
        "half"), so that no other pass over every token is needed."""
        # a family's list is made at its first hit (``free`` is 0 until then): most families
        # have none, and share the empty NO_HITS
        hits: list[list[Hit]] = [NO_HITS] * FAMILIES
        numbers: list[int] = []
        free = [0] * FAMILIES
        get = self.index.get
        seq = tuple(words)
        n = len(seq)
        for i, word in enumerate(seq):
            bucket = get(word)
            if bucket is None:
                continue
            single, seconds, longer, numeric = bucket
            if numeric:
                numbers.append(i)
            if seconds and i + 1 < n and seq[i + 1] in seconds:
                for size, table in longer:
                    if i + size > n:
                        continue
                    entries = table.get(seq[i : i + size])
                    if entries is None:
                        continue
                    for family, payload in entries:
                        end = free[family]
                        if end <= i:
                            if end:
                                hits[family].append((i, i + size, payload))
                            else:
                                hits[family] = [(i, i + size, payload)]
                            free[family] = i + size
            for family, payload in single:
                end = free[family]
                if end <= i:
                    if end:
                        hits[family].append((i, i + 1, payload))
                    else:
                        hits[family] = [(i, i + 1, payload)]
                    free[family] = i + 1
        return hits, numbers


def within(hits: list[Hit], lo: int, hi: int) -> list[Hit]:
    """The hits that start in ``[lo, hi)`` (a family's hits are sorted by start)."""
    if not hits:  # most families have no hit in an utterance
        return hits
    if len(hits) < 8:  # the usual case: a scan over a few hits beats two bisections
        return [h for h in hits if lo <= h[0] < hi]
    a = bisect_left(hits, lo, key=_start)
    return hits[a : bisect_left(hits, hi, lo=a, key=_start)]


def _start(hit: Hit) -> int:
    return hit[0]


#: What a word can be to a number's noun search (``quantities._head``), as bit flags.
HEAD_APPROXIMATOR, HEAD_GENERIC, HEAD_ROLE, HEAD_VOLUME = 1, 2, 4, 8
HEAD_OTHER, HEAD_BOUNDARY, HEAD_STOP, HEAD_MODIFIER = 16, 32, 64, 128
_HEAD_STOPS = frozenset({".", "?", "!", ";", ","})
#: Longest phrase a window check must look back over.
MAX_PHRASE = 8


def compile_rules(vocab: Vocabulary) -> Rules:
    r = Rules()
    numbers = vocab.section("numbers")
    r.fillers = frozenset(w for p in numbers.get("fillers", []) for w in words_of(p))
    r.boundary = phrase_set(numbers.get("boundary", []))
    r.approximators = phrase_set(numbers.get("approximators", []))
    r.other_heads = phrase_set(numbers.get("other_heads", []))
    r.label_before = phrase_set(numbers.get("label_before", []))
    _compile_team(r, vocab)
    _compile_volume(r, vocab)
    _compile_integrations(r, vocab)
    _compile_industries(r, vocab)
    _compile_urgency(r, vocab)
    r.mark_numeric(NUMBER_STARTS)
    tables = (
        (HEAD_APPROXIMATOR, r.approximators.firsts),
        (HEAD_GENERIC, r.team_generic.firsts),
        (HEAD_ROLE, r.team_roles.firsts),
        (HEAD_VOLUME, r.volume_nouns.firsts),
        (HEAD_OTHER, r.other_heads.firsts),
        (HEAD_BOUNDARY, r.boundary.firsts),
        (HEAD_STOP, _HEAD_STOPS),
        (HEAD_MODIFIER, r.team_modifiers),
    )
    for flag, words in tables:
        for word in words:
            r.head_cues[word] = r.head_cues.get(word, 0) | flag
    return r


def _compile_team(r: Rules, vocab: Vocabulary) -> None:
    team = vocab.section("team")
    r.team_generic = phrase_set(team.get("generic", []))
    # an industry's roles first: a role in both lists keeps its industry
    r.team_roles = PhraseIndex()
    for label, entry in vocab.section("industries").items():
        for role in entry.get("roles", []):
            r.team_roles.add(role, label)
    for role in team.get("roles", []):
        r.team_roles.add(role, "")
    strong = team.get("strong_left_cues", [])
    r.team_left = phrase_set(team.get("left_cues", []) + strong)
    r.team_left_strong = phrase_set(strong)
    block = team.get("block", {})
    for pattern in block.get("after", []):
        r.add(TEAM_BLOCK_AFTER, pattern, True)
    for pattern in block.get("before", []):
        r.add(TEAM_BLOCK_BEFORE, pattern, True)
    r.team_modifiers = frozenset(block.get("modifiers", []))
    for pattern in block.get("context", []):
        r.add(TEAM_CONTEXT, pattern, True)
    for pattern in team.get("use_after", []):
        r.add(TEAM_USE, pattern, True)
    for pattern, value in team.get("phrases", {}).items():
        r.add(TEAM_PHRASE, pattern, int(value))


def _compile_volume(r: Rules, vocab: Vocabulary) -> None:
    volume = vocab.section("volume")
    r.volume_nouns = phrase_set(volume.get("nouns", []))
    for pattern in volume.get("verbs", []):
        r.add(VOLUME_VERB, pattern, True)
    # every rate phrase spelled out: "a week", "per business day", "every other week", "daily"
    periods = {str(p): float(f) for p, f in volume.get("periods", {}).items()}
    for word in volume.get("rate_words", {}).get("words", []):
        for period, factor in periods.items():
            r.add(RATE, f"{word} {period}", factor)
    for period, factor in periods.items():
        for every, n in (("two", 2.0), ("2", 2.0), ("other", 2.0), ("three", 3.0), ("3", 3.0)):
            r.add(RATE, f"every {every} {period}", factor / n)
    for adverb, factor in volume.get("adverbs", {}).items():
        r.add(RATE, str(adverb), float(factor))


def _compile_integrations(r: Rules, vocab: Vocabulary) -> None:
    ctx = vocab.section("integration_context")
    for name, entry in vocab.section("integrations").items():
        ambiguous = {words_of(a) for a in entry.get("ambiguous", [])}
        for alias in entry.get("aliases", []):
            for phrase in expand(alias):
                r.add(INTEGRATION, " ".join(phrase), Alias(name, phrase in ambiguous))
                r.canonical[" ".join(phrase)] = name
        r.canonical[name] = name
        r.canonical[name.replace("_", " ")] = name
        r.deny_before[name] = frozenset(entry.get("deny_before", []))
        r.deny_after[name] = frozenset(entry.get("deny_after", []))
    r.frame_before = frozenset(ctx.get("frame_before", []))
    r.product_after = phrase_set(ctx.get("product_after", []))
    r.common_before = frozenset(ctx.get("common_before", []))
    for pattern in ctx.get("news", []):
        r.add(NEWS, pattern, True)
    for pattern in ctx.get("negation", []):
        r.add(NEGATION, pattern, True)
    for pattern in ctx.get("negation_after", []):
        r.add(NEGATION_AFTER, pattern, True)


def _compile_industries(r: Rules, vocab: Vocabulary) -> None:
    ctx = vocab.section("industry_context")
    heads: dict[str, set[str]] = {}
    # the hand-written tables first (the first entry of a phrase wins), then the taxonomy
    for section in ("industries", "industry_taxonomy"):
        for label, entry in vocab.section(section).items():
            org_cue, cue = Cue(label, True), Cue(label, False)
            org = [p for pattern in entry.get("org", []) for p in _phrases(pattern, section)]
            if section == "industries":
                heads.setdefault(label, set()).update(p[-1] for p in org)
            for phrase in org:
                r.industry.add(phrase, org_cue)
            for pattern in entry.get("cues", []):
                for phrase in _phrases(pattern, section):
                    r.industry.add(phrase, cue)
            for pattern in entry.get("activities", []):
                for phrase in expand(pattern):
                    r.industry.add(phrase, Cue(label, False, verb=True))
    r.org_heads = {label: frozenset(words) for label, words in heads.items()}
    ignore = Cue(None, False)
    for pattern in ctx.get("ignore", []):
        for phrase in expand(pattern):
            r.industry.add(phrase, ignore)
    for kind in (
        "anchors",
        "work_anchors",
        "possession_anchors",
        "field_anchors",
        "subject_anchors",
    ):
        for pattern in ctx.get(kind, []):
            r.add(ANCHOR, pattern, kind)
    r.blockers = phrase_set(ctx.get("blockers", []))
    r.role_words = frozenset(w for p in ctx.get("role_words", []) for w in words_of(p))
    r.org_nouns = frozenset(w for p in ctx.get("org_nouns", []) for w in words_of(p))
    bare_heads = {w for p in ctx.get("fragment_heads", []) for w in words_of(p)}
    r.fragment_heads = frozenset(bare_heads | r.org_nouns)
    r.collectives = frozenset(w for p in ctx.get("collectives", []) for w in words_of(p))
    r.max_gap = int(ctx.get("max_gap", 4))


def _phrases(pattern: str, section: str) -> list[tuple[str, ...]]:
    """A table's phrases: the taxonomy's are plain words (no pattern syntax), so they are split
    rather than expanded, which keeps building the tables fast."""
    if section == "industry_taxonomy":
        return [tuple(pattern.split())]
    return expand(pattern)


def _compile_urgency(r: Rules, vocab: Vocabulary) -> None:
    urgency = vocab.section("urgency")
    for level in ("high", "medium", "low"):
        for pattern in urgency.get(level, []):
            r.add(URGENCY, pattern, UrgencyCue(level, needs_intent=False))
    frames = urgency.get("timeframes", {})
    for level in ("high", "medium", "low"):
        for pattern in frames.get(level, []):
            r.add(URGENCY, pattern, UrgencyCue(level, needs_intent=True))
    for pattern in frames.get("soon", []):
        r.add(URGENCY, pattern, UrgencyCue("high", needs_intent=True, near_need=True))
    for pattern in urgency.get("ignore", []):
        r.add(URGENCY, pattern, UrgencyCue(None, needs_intent=False))
    for pattern in frames.get("need", []):
        r.add(NEED, pattern, True)
    r.other_party = frozenset(w for p in frames.get("other_party", []) for w in words_of(p))
    for pattern in frames.get("intent", []):
        r.add(INTENT, pattern, True)
    for pattern in frames.get("report", []):
        r.add(REPORT, pattern, True)
    horizon = urgency.get("horizon", {})
    r.horizon_units = {str(k): float(v) for k, v in horizon.get("units", {}).items()}
    r.horizon_lead = frozenset(horizon.get("lead_words", []))
    r.horizon_trail = phrase_set(horizon.get("trail_words", []))
    r.high_max_days = float(horizon.get("high_max_days", 31))
    r.medium_max_days = float(horizon.get("medium_max_days", 120))
