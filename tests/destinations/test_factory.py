from __future__ import annotations

import base64

import pytest

from signalroom.config import DestinationSettings
from signalroom.destinations import build_destinations
from signalroom.errors import ConfigError

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_nothing_configured_builds_nothing() -> None:
    assert build_destinations(DestinationSettings()) == []


def test_one_destination_per_webhook_endpoint() -> None:
    settings = DestinationSettings.model_validate(
        {"webhooks": [{"url": "https://a.example/hook", "secret": SECRET},
                      {"url": "https://b.example/hook", "secret": SECRET, "name": "crm"}]}
    )  # fmt: skip
    built = build_destinations(settings)
    assert [d.name for d in built] == ["webhook:a.example", "webhook:crm"]
    assert not any(d.required for d in built)


def test_duplicate_names_are_refused() -> None:
    settings = DestinationSettings.model_validate(
        {"webhooks": [{"url": "https://a.example/1", "secret": SECRET},
                      {"url": "https://a.example/2", "secret": SECRET}]}
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"two destinations share the name 'webhook:a\.example'"):
        build_destinations(settings)
