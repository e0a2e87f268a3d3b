"""Product knowledge search for the sales agent.

``build_knowledge_base(settings)`` returns a ``KnowledgeBase``: the bundled Quillflow docs (or a
folder of Markdown) indexed with BM25 in memory, or an HTTP enterprise search API. Every backend
raises ``KnowledgeError`` (see ``base``) with ``retryable`` set for network trouble.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import (
        Hit,
        KnowledgeAuthError,
        KnowledgeBase,
        KnowledgeError,
        KnowledgeUnavailable,
        SearchResult,
    )
    from .factory import build_knowledge_base
    from .http import HttpKnowledgeBase
    from .local import LocalKnowledgeBase

# Names load on first use, so importing the package (as the CLI does) stays cheap.
_EXPORTS = {
    "Hit": ".base",
    "KnowledgeAuthError": ".base",
    "KnowledgeBase": ".base",
    "KnowledgeError": ".base",
    "KnowledgeUnavailable": ".base",
    "SearchResult": ".base",
    "build_knowledge_base": ".factory",
    "HttpKnowledgeBase": ".http",
    "LocalKnowledgeBase": ".local",
}
__all__ = [
    "Hit",
    "HttpKnowledgeBase",
    "KnowledgeAuthError",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeUnavailable",
    "LocalKnowledgeBase",
    "SearchResult",
    "build_knowledge_base",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
