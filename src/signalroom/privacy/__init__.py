"""Keeping personal data private: text redaction, keyed hashing, per-field record policy."""

from signalroom.privacy.hashing import keyed_hash, load_hash_key
from signalroom.privacy.policy import apply_privacy
from signalroom.privacy.redact import redact
from signalroom.privacy.transform import privacy_transform

__all__ = ["apply_privacy", "keyed_hash", "load_hash_key", "privacy_transform", "redact"]
