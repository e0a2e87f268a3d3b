"""``detect(text) -> Signals``: the five qualification signals of one utterance.

Pure: no I/O, no state shared between calls. The module-level functions use a default
:class:`Detector` built on first use from the bundled vocabulary (a cache of compiled
tables; it never changes after it is built). Cost is linear in the input: one tokenizer pass
(possessive-only regular expression), one dictionary-driven phrase scan, and bounded
windows around each hit.
"""

from __future__ import annotations

import functools

from signalroom.signals.lexicon import find_industry, find_integrations, find_urgency
from signalroom.signals.model import Evidence, Found, Signals
from signalroom.signals.quantities import find_quantities
from signalroom.signals.rules import Rules, compile_rules
from signalroom.signals.tokens import Tokens, find_numbers, tokenize
from signalroom.signals.vocabulary import Vocabulary, load_vocabulary


class Detector:
    """Detection over one vocabulary; safe to share between threads (it is read-only)."""

    __slots__ = ("_rules", "vocabulary")

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
        self._rules: Rules = compile_rules(self.vocabulary)

    def detect(self, text: str) -> Signals:
        return self._detect(text)[0]

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
        hits = r.scan(tk.words)
        nums = find_numbers(tk.words)
        found: list[Found] = []
        q = find_quantities(r, tk, nums, hits)
        if q.team_evidence is not None:
            found.append(q.team_evidence)
        if q.volume_evidence is not None:
            found.append(q.volume_evidence)
        integrations = find_integrations(r, tk, hits)
        found.extend(integrations)
        urgency = find_urgency(r, tk, nums, hits)
        if urgency is not None:
            found.append(urgency)
        industry = find_industry(r, tk, hits) or q.role_evidence
        if industry is not None:
            found.append(industry)
        signals = Signals(
            team_size=q.team,
            monthly_volume=q.volume,
            integration_needs=sorted({str(f.value) for f in integrations}),
            urgency=str(urgency.value) if urgency is not None else None,
            industry=str(industry.value) if industry is not None else None,
        )
        return signals, found, tk

    def vocabulary_terms(self) -> set[str]:
        """Every phrase the detector looks for (the benchmark builds its floor from these)."""
        return self._rules.terms()

    def canonical_integration(self, name: str) -> str | None:
        """The vocabulary's canonical name for an integration alias, or None."""
        key = " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
        return self._rules.canonical.get(key)


@functools.cache
def default_detector() -> Detector:
    """The detector over the bundled vocabulary, built once on first use."""
    return Detector()


def detect(text: str) -> Signals:
    """The five signals of one utterance (see docs/signals.md)."""
    return default_detector().detect(text)


def detect_with_evidence(text: str) -> tuple[Signals, list[Evidence]]:
    """The signals of one utterance and, for each value, the words it came from."""
    return default_detector().detect_with_evidence(text)
