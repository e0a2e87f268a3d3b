"""URL scheme → backend module, imported lazily so a deployment needs only its own broker SDK."""

from __future__ import annotations

from collections.abc import Callable

from signalroom.errors import ConfigError
from signalroom.seam import Registry
from signalroom.transports.base import Transport
from signalroom.urls import url_scheme

#: scheme → "module:factory"; the factory takes the URL and returns a Transport.
TRANSPORTS: Registry[Callable[[str], Transport]] = Registry(
    "queue URL scheme",
    {
        "memory": "signalroom.transports.memory:from_url",
        "spool": "signalroom.transports.spool:from_url",
        "redis": "signalroom.transports.redis_streams:from_url",
        "rediss": "signalroom.transports.redis_streams:from_url",
        "nats": "signalroom.transports.nats_js:from_url",
        "sqs": "signalroom.transports.sqs:from_url",
        "pubsub": "signalroom.transports.pubsub:from_url",
    },
    hint="use spool://, redis://, nats://, sqs:// or pubsub://",
    install_hint="install signalroom with the matching extra, e.g. signalroom[aws] or [gcp]",
)


def register_transport(scheme: str, target: str) -> None:
    """Add a backend for ``scheme`` (``"module:factory"``), for deployers' own brokers."""
    TRANSPORTS.register(scheme, target)


def open_transport(url: str) -> Transport:
    scheme = url_scheme(url)
    if scheme not in TRANSPORTS:
        known = ", ".join(f"{s}://" for s in TRANSPORTS.names())
        raise ConfigError(f"unknown queue URL scheme {scheme!r} in {url!r}", hint=f"use {known}")
    return TRANSPORTS.load(scheme)(url)
