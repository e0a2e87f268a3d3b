"""``detect(text) -> Signals``: the five qualification signals of one utterance.

Pure: no I/O, no state shared between calls. The module-level functions use a default
:class:`Detector` built on first use from the bundled vocabulary (a cache of compiled
tables; it never changes after it is built). Cost is linear in the input: one tokenizer pass
(possessive-only regular expression, run only on the chunks that need it), one
dictionary-driven phrase scan that also marks where numbers may start, and bounded windows
around each hit; a field's pass runs only when the scan saw a cue for it.
"""

from __future__ import annotations

import functools

from signalroom.signals.lexicon import (
    find_industry,
    find_integrations,
    find_urgency,
    names_own_org,
)
from signalroom.signals.model import Evidence, Found, Signals
from signalroom.signals.quantities import NO_QUANTITIES, find_quantities
from signalroom.signals.rules import (
    INTEGRATION,
    INTENT,
    TEAM_PHRASE,
    URGENCY,
    Rules,
    compile_rules,
)
from signalroom.signals.tokens import Tokens, find_numbers, tokenize
from signalroom.signals.vocabulary import BUNDLED_FILES, Vocabulary, load_vocabulary


class Detector:
    """Detection over one vocabulary; safe to share between threads (it is read-only)."""

    __slots__ = ("_rules", "vocabulary")

    def __init__(self, vocabulary: Vocabulary | None = None, rules: Rules | None = None) -> None:
        """``rules``: tables already compiled from this ``vocabulary`` (the disk cache's)."""
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self._rules: Rules = rules if rules is not None else compile_rules(self.vocabulary)

    def detect(self, text: str) -> Signals:
        return self._detect(text)[0]

    def detect_found(self, text: str) -> tuple[Signals, list[Found], Tokens]:
        """The signals, each value's token span, and the tokens (``tk.snippet(f.i, f.j)`` is
        a value's words): :class:`Evidence` without building it for values not kept."""
        return self._detect(text)

    def detect_with_evidence(self, text: str) -> tuple[Signals, list[Evidence]]:
        signals, found, tk = self._detect(text)
        evidence = [
            Evidence(f.field, f.value, tk.span(f.i, f.j), tk.snippet(f.i, f.j)) for f in found
        ]
        return signals, evidence

    def _detect(self, text: str) -> tuple[Signals, list[Found], Tokens]:
        if not isinstance(text, str):
            raise TypeError(f"detect() takes a str, got {type(text).__name__}")
        r = self._rules
        tk = tokenize(text, r.fillers)
        if not tk.words:
            return Signals(), [], tk
        hits, number_words = r.scan(tk.words)
        starts = sorted(tk.digits + number_words) if number_words else tk.digits
        nums = find_numbers(tk.words, starts) if starts else []
        # each field's pass runs only when the scan saw a cue for it
        q = find_quantities(r, tk, nums, hits) if nums or hits[TEAM_PHRASE] else NO_QUANTITIES
        found: list[Found] = []
        if q.team_evidence is not None:
            found.append(q.team_evidence)
        if q.volume_evidence is not None:
            found.append(q.volume_evidence)
        integrations = find_integrations(r, tk, hits) if hits[INTEGRATION] else []
        found.extend(integrations)
        # a number is a horizon ("within 3 months") only beside an intent
        urgency = find_urgency(r, tk, nums, hits) if hits[URGENCY] or hits[INTENT] else None
        if urgency is not None:
            found.append(urgency)
        industry = find_industry(r, tk, hits)
        if industry is None and q.role_evidence is not None and names_own_org(r, tk.words):
            industry = q.role_evidence  # "a dozen lawyers here at the firm"
        if industry is not None:
            found.append(industry)
        signals = Signals(
            q.team,
            q.volume,
            sorted({str(f.value) for f in integrations}) if integrations else [],
            str(urgency.value) if urgency is not None else None,
            str(industry.value) if industry is not None else None,
        )
        return signals, found, tk

    def vocabulary_terms(self, *, industry: bool = True) -> set[str]:
        """Every phrase the detector looks for (the benchmark builds its floor from these);
        ``industry=False`` leaves out the industry phrases (thousands, from the taxonomy)."""
        return self._rules.terms(industry=industry)

    def canonical_integration(self, name: str) -> str | None:
        """The vocabulary's canonical name for an integration alias, or None."""
        key = " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
        return self._rules.canonical.get(key)


@functools.cache
def default_detector() -> Detector:
    """The detector over the bundled vocabulary, built once on first use (its tables come
    from the per-user cache when an entry for this exact vocabulary and code exists)."""
    from signalroom.signals import cache

    try:
        # a compiled module's __file__ is its extension (see native.py)
        entry = cache.key(BUNDLED_FILES, compiled=not __file__.endswith(".py"))
    except OSError:  # the package's files cannot be read for hashing: build, keep nothing
        return Detector()
    cached = cache.load(entry)
    if cached is not None:
        return Detector(*cached)
    detector = Detector()
    cache.store(entry, detector.vocabulary, detector._rules)
    return detector


def warm() -> Detector:
    """Build the default detector's tables and run one detection, so that the first real
    turn of a call pays no start-up cost (a worker calls this once while it prewarms)."""
    detector = default_detector()
    detector.detect("we're a team of 12 handling 300 tickets a week in hubspot, asap")
    return detector


def detect(text: str) -> Signals:
    """The five signals of one utterance (see docs/signals.md); the first call builds the
    tables (a few hundred milliseconds, less from the per-user cache), see :func:`warm`."""
    return default_detector().detect(text)


def detect_with_evidence(text: str) -> tuple[Signals, list[Evidence]]:
    """The signals of one utterance and, for each value, the words it came from."""
    return default_detector().detect_with_evidence(text)
