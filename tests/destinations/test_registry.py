from __future__ import annotations

import base64
from pathlib import Path

import pytest

from signalroom.config import DestinationSettings, load_settings
from signalroom.destinations import build_destinations
from signalroom.errors import ConfigError

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def test_nothing_configured_builds_nothing() -> None:
    assert build_destinations(DestinationSettings().configured()) == []


def test_one_destination_per_webhook_endpoint() -> None:
    settings = DestinationSettings.model_validate(
        {"webhooks": [{"url": "https://a.example/hook", "secret": SECRET},
                      {"url": "https://b.example/hook", "secret": SECRET, "name": "crm"}]}
    )  # fmt: skip
    built = build_destinations(settings.configured())
    assert [d.name for d in built] == ["webhook:a.example", "webhook:crm"]
    assert not any(d.required for d in built)


def test_duplicate_names_are_refused() -> None:
    settings = DestinationSettings.model_validate(
        {"webhooks": [{"url": "https://a.example/1", "secret": SECRET},
                      {"url": "https://a.example/2", "secret": SECRET}]}
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"two destinations share the name 'webhook:a\.example'"):
        build_destinations(settings.configured())


def test_unknown_destination_is_refused_with_the_known_names(tmp_path: Path) -> None:
    (tmp_path / "signalroom.toml").write_text("[destinations.hubspto]\nportal_id = 1\n")
    with pytest.raises(ConfigError, match=r"unknown destination 'hubspto'; known: .*hubspot"):
        load_settings(tmp_path)


def test_a_backend_validates_its_own_table(tmp_path: Path) -> None:
    (tmp_path / "signalroom.toml").write_text("[destinations.amplitude]\napi_kee = 'k'\n")
    with pytest.raises(ConfigError, match=r"destinations\.amplitude\.api_kee"):
        load_settings(tmp_path)
