"""Speech and language models from config strings, and the keys each one needs.

``provider/model`` picks a plugin from the ``voice`` extra: ``openai/gpt-4.1-mini`` (LLM, or
``openai/whisper-1`` STT, ``openai/gpt-4o-mini-tts`` TTS), ``deepgram/nova-3`` (STT),
``cartesia/sonic-2`` (TTS). ``inference/provider/model`` hands ``provider/model`` to LiveKit
Inference instead, which bills through your LiveKit project and needs no provider key.
VAD: ``silero`` or ``none``. Turn detection: ``multilingual`` (LiveKit's turn detector),
``vad``, ``stt`` or ``manual``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signalroom.config import AgentSettings
from signalroom.errors import ConfigError

INFERENCE = "inference/"
LIVEKIT_KEYS = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY",
    "deepgram": "DEEPGRAM_API_KEY",
    "cartesia": "CARTESIA_API_KEY",
}
_KINDS = {"stt": ("deepgram", "openai"), "llm": ("openai",), "tts": ("cartesia", "openai")}


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    provider: str
    model: str
    inference: bool

    @property
    def env_key(self) -> str | None:
        return None if self.inference else PROVIDER_KEYS.get(self.provider)


def parse_model(kind: str, value: str) -> ModelSpec:
    text = value.strip()
    inference = text.startswith(INFERENCE)
    if inference:
        text = text[len(INFERENCE) :]
    provider, sep, model = text.partition("/")
    if not sep or not provider or not model:
        raise ConfigError(
            f"agent.{kind} = {value!r} is not 'provider/model'",
            hint=f"for example agent.{kind} = '{_example(kind)}'",
        )
    if not inference and provider not in _KINDS[kind]:
        raise ConfigError(
            f"agent.{kind} provider {provider!r} has no plugin here "
            f"(plugins: {', '.join(_KINDS[kind])})",
            hint=f"use 'inference/{provider}/{model}' for LiveKit Inference",
        )
    return ModelSpec(kind, provider, model, inference)


def _example(kind: str) -> str:
    return {"stt": "deepgram/nova-3", "llm": "openai/gpt-4.1-mini", "tts": "cartesia/sonic-2"}[kind]


def model_specs(settings: AgentSettings) -> list[ModelSpec]:
    return [
        parse_model("stt", settings.stt),
        parse_model("llm", settings.llm),
        parse_model("tts", settings.tts),
    ]


def required_env(settings: AgentSettings, *, needs_server: bool) -> list[str]:
    """Every environment variable the configured worker needs, in a stable order."""
    names: list[str] = list(LIVEKIT_KEYS) if needs_server else []
    specs = model_specs(settings)
    if any(s.inference for s in specs):
        names += [k for k in LIVEKIT_KEYS[1:] if k not in names]
    for spec in specs:
        key = spec.env_key
        if key and key not in names:
            names.append(key)
    return names


def build_models(settings: AgentSettings) -> dict[str, Any]:
    """Keyword arguments for ``AgentSession``: stt, llm, tts, vad and turn_handling."""
    stt, llm, tts = (_build(spec) for spec in model_specs(settings))
    return {
        "stt": stt,
        "llm": llm,
        "tts": tts,
        "vad": _vad(settings.vad),
        "turn_handling": {"turn_detection": _turn_detection(settings.turn_detection)},
    }


def _build(spec: ModelSpec) -> Any:
    if spec.inference:
        return f"{spec.provider}/{spec.model}"  # AgentSession resolves these through Inference
    if spec.provider == "openai":
        from livekit.plugins import openai

        factory = {"stt": openai.STT, "llm": openai.LLM, "tts": openai.TTS}[spec.kind]
        return factory(model=spec.model)
    if spec.provider == "deepgram":
        from livekit.plugins import deepgram

        return deepgram.STT(model=spec.model)
    from livekit.plugins import cartesia

    return cartesia.TTS(model=spec.model)


def _vad(name: str) -> Any:
    if name == "none":
        return None
    if name != "silero":
        raise ConfigError(f"agent.vad = {name!r} is unknown", hint="use 'silero' or 'none'")
    from livekit.plugins import silero

    return silero.VAD.load()


def _turn_detection(name: str) -> Any:
    if name in ("vad", "stt", "manual"):
        return name
    if name == "multilingual":
        from livekit.agents import inference

        return inference.TurnDetector()
    raise ConfigError(
        f"agent.turn_detection = {name!r} is unknown",
        hint="use 'multilingual', 'vad', 'stt' or 'manual'",
    )
