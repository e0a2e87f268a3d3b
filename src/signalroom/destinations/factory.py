"""Build the optional destinations a deployment configured (``[destinations]``).

Each backend module is imported only when configured, so a deployment without Salesforce never
imports its SDK. Every destination needs a distinct ``name``: it keys the delivery status rows.
"""

from __future__ import annotations

from signalroom.config import DestinationSettings
from signalroom.destinations.base import Destination
from signalroom.errors import ConfigError


def build_destinations(
    settings: DestinationSettings, *, hash_key: bytes | None = None
) -> list[Destination]:
    """``hash_key`` pseudonymises identities for destinations that must not see them raw."""
    built: list[Destination] = []
    if settings.salesforce is not None:
        from signalroom.destinations.salesforce import SalesforceDestination

        built.append(SalesforceDestination(settings.salesforce))
    if settings.amplitude is not None:
        from signalroom.destinations.amplitude import AmplitudeDestination

        built.append(AmplitudeDestination(settings.amplitude, hash_key=hash_key))
    if settings.webhooks:
        from signalroom.destinations.webhook import WebhookDestination

        # One destination per endpoint: each keeps its own delivery status and retries.
        built.extend(WebhookDestination(endpoint) for endpoint in settings.webhooks)
    names = [d.name for d in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"two destinations share the name {duplicates[0]!r}",
            hint="give each webhook a distinct name or URL",
        )
    return built
