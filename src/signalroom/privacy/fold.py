"""Fold Unicode look-alikes to ASCII for matching, keeping a map back to the original text.

Personal data typed or transcribed with look-alike characters must not slip past patterns
written for ASCII: a full-width ``＠`` or ``４１１１``, a small ``﹫``, digits of another script
(``٤١١١``), or zero-width characters hidden inside a number. Matching runs on the folded text;
replacements are made on the original, so text that holds no personal data is returned
exactly as given.

Each character is folded on its own: NFKC (Unicode's compatibility normalization, from the
standard library's ``unicodedata``), any decimal digit to its ASCII digit, and invisible
format characters (category ``Cf``: zero-width space, joiners, soft hyphen, BOM) dropped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Folded:
    """``text`` folded; ``origin[i]`` is the index in the original of folded character ``i``
    (with one extra entry, the original's length, so an end offset maps too)."""

    text: str
    origin: tuple[int, ...] | None  # None: the text was ASCII and is unchanged

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span for the folded span ``start:end``."""
        if self.origin is None:
            return start, end
        if end <= start:
            at = self.origin[start]
            return at, at
        return self.origin[start], self.origin[end - 1] + 1


def fold(text: str) -> Folded:
    """``text`` with look-alikes folded to ASCII (see the module doc)."""
    if text.isascii():
        return Folded(text, None)
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append(ch)
            origin.append(i)
            continue
        if unicodedata.category(ch) == "Cf":
            continue
        digit = unicodedata.decimal(ch, None)
        folded = str(digit) if digit is not None else unicodedata.normalize("NFKC", ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return Folded("".join(out), tuple(origin))
