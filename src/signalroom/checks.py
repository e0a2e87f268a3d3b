"""One line of ``signalroom doctor``: shared by the command and each part that checks itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    part: str
    status: str  # "ok" | "warn" | "FAIL"
    detail: str
    hint: str | None = None
