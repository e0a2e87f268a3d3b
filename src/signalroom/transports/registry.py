"""URL scheme → backend module, imported lazily so a deployment needs only its own broker SDK."""

from __future__ import annotations

import importlib

from signalroom.errors import ConfigError
from signalroom.transports.base import Transport
from signalroom.urls import url_scheme

#: scheme → "module:factory"; the factory takes the URL and returns a Transport.
_BACKENDS: dict[str, str] = {
    "memory": "signalroom.transports.memory:from_url",
    "spool": "signalroom.transports.spool:from_url",
    "redis": "signalroom.transports.redis_streams:from_url",
    "rediss": "signalroom.transports.redis_streams:from_url",
    "nats": "signalroom.transports.nats_js:from_url",
    "sqs": "signalroom.transports.sqs:from_url",
    "pubsub": "signalroom.transports.pubsub:from_url",
}


def register_transport(scheme: str, target: str) -> None:
    """Add a backend for ``scheme`` (``"module:factory"``), for deployers' own brokers."""
    _BACKENDS[scheme] = target


def open_transport(url: str) -> Transport:
    scheme = url_scheme(url)
    target = _BACKENDS.get(scheme)
    if target is None:
        known = ", ".join(sorted(f"{s}://" for s in _BACKENDS))
        raise ConfigError(f"unknown queue URL scheme {scheme!r} in {url!r}", hint=f"use {known}")
    module_name, _, factory = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"the {scheme}:// transport needs a package that is not installed ({exc.name})",
            hint="install signalroom with the matching extra, e.g. signalroom[aws] or [gcp]",
        ) from None
    transport: Transport = getattr(module, factory)(url)
    return transport
