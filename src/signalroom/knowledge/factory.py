"""Pick the knowledge backend from settings, by name (``knowledge.backend``) in ``BACKENDS``."""

from __future__ import annotations

from collections.abc import Callable

from signalroom.config import KnowledgeSettings
from signalroom.knowledge.base import KnowledgeBase
from signalroom.seam import Registry

#: ``knowledge.backend`` → the module's ``build(settings)``, imported when chosen.
BACKENDS: Registry[Callable[[KnowledgeSettings], KnowledgeBase]] = Registry(
    "knowledge backend",
    {
        "local": "signalroom.knowledge.local:build",
        "http": "signalroom.knowledge.http:build",
    },
    hint="set knowledge.backend to local or http",
)


def build_knowledge_base(settings: KnowledgeSettings) -> KnowledgeBase:
    """The configured backend, ready to search; a ConfigError names what is missing."""
    return BACKENDS.load(settings.backend)(settings)
