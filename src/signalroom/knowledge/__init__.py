"""Product knowledge search for the sales agent.

``build_knowledge_base(settings)`` returns a ``KnowledgeBase``: the bundled Quillflow docs (or a
folder of Markdown) indexed with BM25 in memory, or an HTTP enterprise search API. Every backend
raises ``KnowledgeError`` (see ``base``) with ``retryable`` set for network trouble.
"""

from signalroom.knowledge.base import (
    Hit,
    KnowledgeAuthError,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeUnavailable,
    SearchResult,
)
from signalroom.knowledge.factory import build_knowledge_base
from signalroom.knowledge.http import HttpKnowledgeBase
from signalroom.knowledge.local import LocalKnowledgeBase

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
