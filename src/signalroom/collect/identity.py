"""Participant identities leave the call hashed, so records join on a caller without naming them."""

from __future__ import annotations

import hashlib
import hmac


def hash_identity(identity: str, key: bytes | None = None) -> str:
    """``hmac-sha256:<hex>`` with ``key`` (stable per deployment, not reversible without it),
    else ``sha256:<hex>``. The prefix says which, so a reader never mixes the two."""
    data = identity.encode("utf-8")
    if key:
        return "hmac-sha256:" + hmac.new(key, data, hashlib.sha256).hexdigest()
    return "sha256:" + hashlib.sha256(data).hexdigest()
