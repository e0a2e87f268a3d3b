"""The sales agent's own rules: signal values, model strings, opening line."""

from __future__ import annotations

import pytest
from livekit.agents import ToolError

from signalroom.agent import normalize_signal, opening_line
from signalroom.agent.models import parse_model, plugin_modules, required_env
from signalroom.config import AgentSettings
from signalroom.errors import ConfigError


def test_signal_values_are_normalized_or_refused() -> None:
    assert normalize_signal("team_size", "12") == 12
    assert normalize_signal("monthly_volume", "1,500") == 1500.0
    assert normalize_signal("industry", "Real Estate") == "real_estate"
    assert normalize_signal("urgency", "HIGH") == "high"
    for field, value in (
        ("team_size", "a dozen"),
        ("urgency", "soon"),
        ("industry", "pirates"),
        ("budget", "10k"),
        ("team_size", "-3"),
    ):
        with pytest.raises(ToolError):
            normalize_signal(field, value)


def test_opening_line_carries_the_configured_consent() -> None:
    line = opening_line(AgentSettings(consent_line="Calls are recorded for quality."))
    assert "Calls are recorded for quality." in line


def test_model_strings() -> None:
    spec = parse_model("stt", "deepgram/nova-3")
    assert (spec.provider, spec.model, spec.env_key) == ("deepgram", "nova-3", "DEEPGRAM_API_KEY")
    assert parse_model("llm", "inference/google/gemini-2.0-flash").env_key is None
    with pytest.raises(ConfigError, match="provider/model"):
        parse_model("llm", "gpt-4")
    with pytest.raises(ConfigError, match="no plugin"):
        parse_model("tts", "elevenlabs/eleven_turbo")
    inference = AgentSettings(
        stt="inference/deepgram/nova-3",
        llm="inference/openai/gpt-4.1-mini",
        tts="inference/cartesia/sonic-2",
    )
    assert required_env(inference, needs_server=False) == ["LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"]
    assert required_env(AgentSettings(), needs_server=False) == [
        "DEEPGRAM_API_KEY",
        "OPENAI_API_KEY",
        "CARTESIA_API_KEY",
    ]


def test_llm_providers_and_their_keys() -> None:
    assert parse_model("llm", "anthropic/claude-haiku-4-5").env_key == "ANTHROPIC_API_KEY"
    assert parse_model("llm", "groq/llama-3.3-70b-versatile").env_key == "GROQ_API_KEY"
    assert parse_model("llm", "google/gemini-2.5-flash").env_key == "GOOGLE_API_KEY"
    with pytest.raises(ConfigError, match="no plugin"):
        parse_model("stt", "anthropic/claude-haiku-4-5")


def test_an_openai_compatible_endpoint_needs_no_key() -> None:
    local = AgentSettings(llm="openai/llama3.1", llm_base_url="http://localhost:11434/v1")
    assert required_env(local, needs_server=False, text_only=True) == []
    assert required_env(local, needs_server=False) == ["DEEPGRAM_API_KEY", "CARTESIA_API_KEY"]
    with pytest.raises(ConfigError, match="needs an 'openai/<model>' LLM"):
        parse_model("llm", "anthropic/claude-haiku-4-5", base_url="http://localhost:8000/v1")


def test_text_only_agents_need_no_speech_plugins() -> None:
    text = AgentSettings(stt="none", tts="none", llm="groq/llama-3.3-70b-versatile")
    assert plugin_modules(text) == ["livekit.plugins.groq"]
    assert required_env(text, needs_server=True) == [
        "LIVEKIT_URL",
        "LIVEKIT_API_KEY",
        "LIVEKIT_API_SECRET",
        "GROQ_API_KEY",
    ]
    assert plugin_modules(AgentSettings()) == [
        "livekit.plugins.deepgram",
        "livekit.plugins.openai",
        "livekit.plugins.cartesia",
        "livekit.plugins.silero",
    ]


def test_an_endpoint_is_an_http_url_and_its_password_never_shows() -> None:
    with pytest.raises(ConfigError, match="is not an http"):
        parse_model("llm", "openai/llama3.1", base_url="localhost:11434")
    spec = parse_model("llm", "openai/llama3.1", base_url="https://u:s3cret@llm.example/v1")
    assert "s3cret" not in spec.label and "s3cret" not in spec.endpoint
    assert spec.label == "openai/llama3.1 at https://u:***@llm.example/v1"


def test_a_google_llm_is_built_by_livekits_google_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from livekit.plugins import google

    from signalroom.agent.models import build_llm, import_plugins, llm_spec

    settings = AgentSettings(stt="none", tts="none", llm="google/gemini-2.5-flash")
    assert import_plugins(settings, text_only=True) == ["livekit.plugins.google"]
    monkeypatch.setenv("GOOGLE_API_KEY", "test-key")
    llm = build_llm(llm_spec(settings))
    assert isinstance(llm, google.LLM)
    assert llm.model == "gemini-2.5-flash"
