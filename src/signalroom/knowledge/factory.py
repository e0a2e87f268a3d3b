"""Pick the knowledge backend from settings."""

from __future__ import annotations

from signalroom.config import KnowledgeSettings
from signalroom.errors import ConfigError
from signalroom.knowledge.base import KnowledgeBase
from signalroom.knowledge.http import HttpKnowledgeBase
from signalroom.knowledge.local import LocalKnowledgeBase


def build_knowledge_base(settings: KnowledgeSettings) -> KnowledgeBase:
    """The configured backend, ready to search; a ConfigError names what is missing."""
    if settings.backend == "http":
        if not settings.url:
            raise ConfigError(
                "knowledge.backend is 'http' but knowledge.url is not set",
                hint="set SIGNALROOM_KNOWLEDGE__URL (and SIGNALROOM_KNOWLEDGE__TOKEN)",
            )
        return HttpKnowledgeBase(
            settings.url,
            token=settings.token,
            timeout_s=settings.timeout_s,
            account=settings.account,
            assistant_id=settings.assistant_id,
            categories=settings.categories,
        )
    if settings.docs_dir is not None:
        return LocalKnowledgeBase.from_directory(settings.docs_dir)
    return LocalKnowledgeBase.bundled()
