"""Keyed hashing, so pseudonymous values still join across records without being reversible.

HMAC-SHA256 with a deployment secret: without the key nobody can confirm a guessed email
against a hash (a plain SHA-256 of an email is a lookup away from the address).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

KEY_FILE = "hash.key"
PREFIX = "h:"


def keyed_hash(value: str, key: bytes) -> str:
    """``h:`` + 32 hex chars of HMAC-SHA256 over the case-folded, trimmed value."""
    digest = hmac.new(key, value.strip().casefold().encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:32]


def load_hash_key(configured: SecretStr | None, home: Path | None) -> bytes:
    """The configured key, else one generated once per home (``HOME/hash.key``, mode 0600).

    A generated key keeps joins working inside one deployment; set ``privacy.hash_key`` to
    share pseudonyms across deployments (and to keep them stable when a home is rebuilt).
    """
    if configured is not None:
        return configured.get_secret_value().encode()
    if home is None:
        return secrets.token_bytes(32)
    path = home / KEY_FILE
    if path.exists():
        return path.read_bytes()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes()
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key
