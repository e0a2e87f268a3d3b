"""What every knowledge backend returns; its errors are in ``signalroom.errors``.

``KnowledgeError`` (bad query, unknown category, bad answer), ``KnowledgeAuthError`` (the
search API refused the credentials) and ``KnowledgeUnavailable`` (retryable: down, slow or
rate-limiting) are re-exported here for the backends and the agent's tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from signalroom.errors import KnowledgeAuthError, KnowledgeError, KnowledgeUnavailable
from signalroom.privacy.subject import Subject
from signalroom.seam import Backend, Counts

__all__ = [
    "Hit",
    "HoldsNoPersonalData",
    "KnowledgeAuthError",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeUnavailable",
    "SearchResult",
    "check_query",
]


@dataclass(frozen=True)
class Hit:
    """One passage: a section of a document, focused enough to read aloud."""

    title: str
    text: str
    category: str
    score: float
    source: str


@dataclass(frozen=True)
class SearchResult:
    """The best ``hits`` for ``query``; ``total`` counts every match before the top-k cut."""

    query: str
    category: str | None
    hits: list[Hit]
    total: int


@runtime_checkable
class KnowledgeBase(Backend, Protocol):
    """Searches product knowledge; like every backend, also ``check``, ``erase``, ``count``."""

    async def search(
        self, query: str, category: str | None = None, top_k: int = 3
    ) -> SearchResult: ...

    @property
    def categories(self) -> list[str]: ...


class HoldsNoPersonalData:
    """``erase``/``count`` of a backend that stores nothing about callers: nothing to do.

    Product documents are not personal data, and searches are not kept, so ``forget`` finds
    nothing here (and says so) rather than skipping the place.
    """

    async def erase(self, subject: Subject) -> Counts:
        return {}

    async def count(self, subject: Subject) -> Counts:
        return {}


def check_query(query: str, top_k: int) -> str:
    """The stripped query, or a clear error for input no backend can answer."""
    text = query.strip()
    if not text:
        raise KnowledgeError("the search query is empty; ask about a product topic")
    if top_k < 1:
        raise KnowledgeError(f"top_k must be at least 1, got {top_k}")
    return text
