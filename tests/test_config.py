from __future__ import annotations

from pathlib import Path

import pytest

from signalroom.config import load_settings, save_settings
from signalroom.errors import ConfigError


def test_defaults_are_embedded(home: Path) -> None:
    settings = load_settings(home)
    assert settings.resolved_queue_url == f"spool://{(home / 'spool').resolve()}"
    assert settings.resolved_warehouse_url.startswith("duckdb://")
    assert settings.outbox_path == home / "outbox.sqlite"


def test_file_then_env_then_options(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(home, {"queue_url": "redis://127.0.0.1:6379/0?stream=file"})
    assert load_settings(home).queue_url == "redis://127.0.0.1:6379/0?stream=file"
    monkeypatch.setenv("SIGNALROOM_QUEUE_URL", "nats://127.0.0.1:4222/env")
    assert load_settings(home).queue_url == "nats://127.0.0.1:4222/env"
    assert load_settings(home, queue_url="memory://opt").queue_url == "memory://opt"
    assert load_settings(home, queue_url=None).queue_url == "nats://127.0.0.1:4222/env"


def test_nested_env_and_secret_is_hidden(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALROOM_SERVICE__CONCURRENCY", "7")
    monkeypatch.setenv("SIGNALROOM_DASHBOARD__TOKEN", "s3cret-token")
    settings = load_settings(home)
    assert settings.service.concurrency == 7
    assert settings.dashboard.token is not None
    assert settings.dashboard.token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" not in repr(settings)


def test_save_keeps_other_keys(home: Path) -> None:
    (home / "signalroom.toml").write_text("# team settings\nwarehouse_url = 'duckdb:///x.db'\n")
    save_settings(home, {"queue_url": "memory://q"})
    text = (home / "signalroom.toml").read_text()
    assert "# team settings" in text
    settings = load_settings(home)
    assert settings.warehouse_url == "duckdb:///x.db"
    assert settings.queue_url == "memory://q"


def test_invalid_config_names_the_key(home: Path) -> None:
    (home / "signalroom.toml").write_text("[service]\nconcurrency = 0\n")
    with pytest.raises(ConfigError, match="concurrency"):
        load_settings(home)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[service]\nconcurency = 3\n", "service.concurency"),
        ("[privacy]\ntranscripts = 'keep'\n", "privacy.transcripts"),
        (
            "[[destinations.webhooks]]\nurl = 'http://127.0.0.1:9/'\nsecret = 'whsec_eA=='\n"
            "retries = 2\n",
            "destinations.webhooks.0.retries",
        ),
    ],
)
def test_misspelt_key_in_a_section_is_refused(home: Path, toml: str, key: str) -> None:
    (home / "signalroom.toml").write_text(toml)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
        load_settings(home)
    assert "Extra inputs are not permitted" in str(info.value)


def test_misspelt_nested_env_key_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALROOM_SERVICE__CONCURENCY", "3")
    with pytest.raises(ConfigError, match=r"service\.concurency"):
        load_settings(home)
