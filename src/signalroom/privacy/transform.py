"""The record transform the recorder applies before any record leaves the agent."""

from __future__ import annotations

from collections.abc import Callable

from signalroom.config import Settings
from signalroom.privacy.hashing import load_hash_key
from signalroom.privacy.policy import apply_privacy
from signalroom.record import SessionRecord


def privacy_transform(settings: Settings) -> Callable[[SessionRecord], SessionRecord]:
    """Bind the deployment's policy and hash key once; the result is cheap to call per record."""
    policy = settings.privacy
    key = load_hash_key(policy.hash_key, settings.home)

    def transform(record: SessionRecord) -> SessionRecord:
        return apply_privacy(record, policy, key)

    return transform
