"""The embedded backend: BM25 over Markdown sections, built in memory at start.

bm25s scores the sections; its tokenizer drops English stopwords (the larger list, which also
holds question words like "how" and "what" that callers say but docs rarely need); PyStemmer's
Snowball stemmer lets "templates" find "template" and "integrate" find "integrations". All of
it works offline. The bundled docs index in a few milliseconds, so nothing is cached on disk.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer  # type: ignore[import-not-found]  # PyStemmer ships no type hints
from bm25s.stopwords import STOPWORDS_EN_PLUS

from signalroom.config import KnowledgeSettings
from signalroom.knowledge.base import (
    Hit,
    HoldsNoPersonalData,
    KnowledgeError,
    SearchResult,
    check_query,
)
from signalroom.knowledge.docs import Chunk, bundled_docs, directory_docs, split_sections

_stemmer = Stemmer.Stemmer("english")
_stopwords = list(STOPWORDS_EN_PLUS)


def _tokens(texts: list[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(
        texts, stopwords=_stopwords, stemmer=_stemmer, return_ids=False, show_progress=False
    )
    assert isinstance(tokens, list)
    return tokens


class LocalKnowledgeBase(HoldsNoPersonalData):
    """Search over a fixed set of sections. ``build_seconds`` is how long indexing took."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            raise KnowledgeError("the knowledge base has no sections to index")
        started = time.perf_counter()
        self._chunks = list(chunks)
        self._retriever = bm25s.BM25()
        # The title is indexed with the text so "Pricing — Business plan" matches "business".
        corpus = _tokens([f"{c.title}\n{c.text}" for c in self._chunks])
        self._retriever.index(corpus, show_progress=False)
        categories = np.array([c.category for c in self._chunks])
        self._masks: dict[str, npt.NDArray[np.bool_]] = {
            name: categories == name for name in sorted(set(categories.tolist()))
        }
        self.build_seconds = time.perf_counter() - started

    @classmethod
    def bundled(cls) -> LocalKnowledgeBase:
        """The Quillflow product docs shipped with signalroom."""
        return cls([c for name, text in bundled_docs() for c in split_sections(name, text)])

    @classmethod
    def from_directory(cls, root: Path) -> LocalKnowledgeBase:
        """Every ``*.md`` under ``root`` (see docs/knowledge-and-booking.md for the format)."""
        return cls([c for name, text in directory_docs(root) for c in split_sections(name, text)])

    @property
    def categories(self) -> list[str]:
        return list(self._masks)

    async def check(self) -> str:
        return f"{self.size} passages indexed in {len(self.categories)} categories"

    async def close(self) -> None:
        return None

    @property
    def size(self) -> int:
        """Number of indexed sections."""
        return len(self._chunks)

    async def search(self, query: str, category: str | None = None, top_k: int = 3) -> SearchResult:
        # Scoring a few hundred sections takes well under a millisecond: no thread needed.
        return self.search_sync(query, category, top_k)

    def search_sync(self, query: str, category: str | None = None, top_k: int = 3) -> SearchResult:
        text = check_query(query, top_k)
        mask = self._category_mask(category)
        ids = self._retriever.get_tokens_ids(_tokens([text])[0])
        if not ids:  # only stopwords, or words no section contains
            return SearchResult(query=text, category=category, hits=[], total=0)
        scores = np.asarray(self._retriever.get_scores(ids), dtype=np.float64)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        matching = np.flatnonzero(scores > 0)
        best = matching[np.argsort(-scores[matching], kind="stable")][:top_k]
        hits = [
            Hit(
                title=self._chunks[i].title,
                text=self._chunks[i].text,
                category=self._chunks[i].category,
                score=round(float(scores[i]), 4),
                source=self._chunks[i].source,
            )
            for i in best
        ]
        return SearchResult(query=text, category=category, hits=hits, total=int(matching.size))

    def _category_mask(self, category: str | None) -> npt.NDArray[np.bool_] | None:
        if category is None or not category.strip():
            return None
        key = category.strip().lower().replace(" ", "-").replace("_", "-")
        if key not in self._masks:
            raise KnowledgeError(
                f"unknown knowledge category {category!r}; known categories: "
                + ", ".join(self._masks)
                + " (or search without a category)"
            )
        return self._masks[key]


def build(settings: KnowledgeSettings) -> LocalKnowledgeBase:
    """``knowledge.backend = "local"``: ``docs_dir`` when set, else the bundled docs."""
    if settings.docs_dir is not None:
        return LocalKnowledgeBase.from_directory(settings.docs_dir)
    return LocalKnowledgeBase.bundled()
