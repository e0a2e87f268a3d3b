"""The sales agent's own rules: signal values, model strings, opening line."""

from __future__ import annotations

import pytest
from livekit.agents import ToolError

from signalroom.agent import normalize_signal, opening_line
from signalroom.agent.models import parse_model, required_env
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
