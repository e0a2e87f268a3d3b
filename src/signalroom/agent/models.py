"""Speech and language models from config strings, the plugins behind them, and their keys.

``provider/model`` picks a LiveKit plugin: LLMs ``openai/gpt-4.1-mini``,
``anthropic/claude-haiku-4-5``, ``google/gemini-2.5-flash``,
``groq/llama-3.3-70b-versatile``; STT ``deepgram/nova-3`` or ``openai/whisper-1``; TTS
``cartesia/sonic-2`` or ``openai/gpt-4o-mini-tts``; ``none`` for both
makes a text-only agent. ``openai/<model>`` with ``agent.llm_base_url`` talks to any
OpenAI-compatible server (Ollama, vLLM, LM Studio); a key is optional there.
``inference/provider/model`` hands ``provider/model`` to LiveKit Inference instead, which bills
through your LiveKit project and needs no provider key. VAD: ``silero`` or ``none``.
Turn detection: ``multilingual`` (LiveKit's turn detector), ``vad``, ``stt`` or ``manual``.

LiveKit plugins register themselves when imported and refuse to do so off the main thread, so
:func:`import_plugins` runs at import time of the worker and before ``agent chat`` starts its
event loop; :func:`build_llm` and friends only construct.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signalroom.config import AgentSettings
from signalroom.errors import ConfigError

if TYPE_CHECKING:
    from livekit.agents import TurnHandlingOptions

INFERENCE = "inference/"
NONE = "none"
LIVEKIT_KEYS = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "groq": "GROQ_API_KEY",
    "google": "GOOGLE_API_KEY",
    "deepgram": "DEEPGRAM_API_KEY",
    "cartesia": "CARTESIA_API_KEY",
}
#: provider -> (plugin module, the extra that installs it)
PLUGINS = {
    "openai": ("livekit.plugins.openai", "voice"),
    "anthropic": ("livekit.plugins.anthropic", "anthropic"),
    "groq": ("livekit.plugins.groq", "groq"),
    "google": ("livekit.plugins.google", "google"),
    "deepgram": ("livekit.plugins.deepgram", "voice"),
    "cartesia": ("livekit.plugins.cartesia", "voice"),
    "silero": ("livekit.plugins.silero", "voice"),
}
#: Modules the OpenAI client imports lazily on its first request, which would stall the first
#: call's event loop by 100 ms or more; imported with the plugin instead (best effort).
_CLIENT_PRELOADS = {
    "livekit.plugins.openai": (
        "openai.resources.models",
        "openai.resources.chat.chat",
        "openai.resources.chat.completions.completions",
        "anyio._backends._asyncio",
    ),
}
_CLIENT_PRELOADS["livekit.plugins.groq"] = _CLIENT_PRELOADS["livekit.plugins.openai"]
_KINDS = {
    "stt": ("deepgram", "openai"),
    "llm": ("openai", "anthropic", "google", "groq"),
    "tts": ("cartesia", "openai"),
}
_EXAMPLES = {"stt": "deepgram/nova-3", "llm": "openai/gpt-4.1-mini", "tts": "cartesia/sonic-2"}
#: A local model may think for a while before its first token; the hosted default is 10 s.
LOCAL_LLM_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    provider: str
    model: str
    inference: bool
    base_url: str | None = None

    @property
    def env_key(self) -> str | None:
        """The provider key this model needs (none through Inference or a custom endpoint)."""
        if self.inference or self.base_url:
            return None
        return PROVIDER_KEYS.get(self.provider)

    @property
    def label(self) -> str:
        """How messages and records name the model (an endpoint's password never shows)."""
        text = ("inference/" if self.inference else "") + f"{self.provider}/{self.model}"
        return f"{text} at {self.endpoint}" if self.base_url else text

    @property
    def endpoint(self) -> str:
        """The server to name in a message: the base URL (password hidden), else the label."""
        from signalroom.urls import redact_url

        if self.base_url:
            return redact_url(self.base_url)
        return ("inference/" if self.inference else "") + f"{self.provider}/{self.model}"


def parse_model(kind: str, value: str, *, base_url: str | None = None) -> ModelSpec:
    text = value.strip()
    inference = text.startswith(INFERENCE)
    if inference:
        text = text[len(INFERENCE) :]
    provider, sep, model = text.partition("/")
    if not sep or not provider or not model:
        raise ConfigError(
            f"agent.{kind} = {value!r} is not 'provider/model'",
            hint=f"for example agent.{kind} = '{_EXAMPLES[kind]}'",
        )
    if not inference and provider not in _KINDS[kind]:
        raise ConfigError(
            f"agent.{kind} provider {provider!r} has no plugin here "
            f"(plugins: {', '.join(_KINDS[kind])})",
            hint=f"use 'inference/{provider}/{model}' for LiveKit Inference",
        )
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"agent.llm_base_url = {base_url!r} is not an http(s) URL",
            hint="for example http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM)",
        )
    if base_url and (inference or provider != "openai"):
        raise ConfigError(
            f"agent.llm_base_url needs an 'openai/<model>' LLM, not {value!r}",
            hint="OpenAI-compatible servers take agent.llm = 'openai/<model name on the server>'",
        )
    return ModelSpec(kind, provider, model, inference, base_url or None)


def llm_spec(settings: AgentSettings) -> ModelSpec:
    return parse_model("llm", settings.llm, base_url=settings.llm_base_url)


def speech_spec(kind: str, value: str) -> ModelSpec | None:
    """STT or TTS; ``none`` makes a text-only agent (LiveKit chat in the room, no audio)."""
    return None if value.strip() == NONE else parse_model(kind, value)


def is_text_only(settings: AgentSettings) -> bool:
    return settings.stt.strip() == NONE and settings.tts.strip() == NONE


def model_specs(settings: AgentSettings, *, text_only: bool = False) -> list[ModelSpec]:
    """The configured models; ``text_only`` (chat, console --text) needs just the LLM."""
    if text_only:
        return [llm_spec(settings)]
    speech = (speech_spec("stt", settings.stt), speech_spec("tts", settings.tts))
    return [s for s in (speech[0], llm_spec(settings), speech[1]) if s is not None]


def required_env(
    settings: AgentSettings, *, needs_server: bool, text_only: bool = False
) -> list[str]:
    """Every environment variable the configured agent needs, in a stable order."""
    names: list[str] = list(LIVEKIT_KEYS) if needs_server else []
    specs = model_specs(settings, text_only=text_only)
    if any(s.inference for s in specs):
        names += [k for k in LIVEKIT_KEYS[1:] if k not in names]
    for spec in specs:
        key = spec.env_key
        if key and key not in names:
            names.append(key)
    return names


def plugin_modules(settings: AgentSettings, *, text_only: bool = False) -> list[str]:
    """The plugin modules the configured agent uses, in a stable order."""
    providers = [s.provider for s in model_specs(settings, text_only=text_only) if not s.inference]
    if not text_only and settings.vad == "silero" and not is_text_only(settings):
        providers.append("silero")
    modules: list[str] = []
    for provider in providers:
        module = PLUGINS[provider][0]
        if module not in modules:
            modules.append(module)
    return modules


def import_plugins(settings: AgentSettings, *, text_only: bool = False) -> list[str]:
    """Import (and so register) the configured plugins. Call on the main thread."""
    modules = plugin_modules(settings, text_only=text_only)
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            provider = module.rsplit(".", 1)[1]
            extra = PLUGINS[provider][1]
            raise ConfigError(
                f"the {provider} plugin is not installed ({exc.name or exc})",
                hint=f"pip install 'signalroom[{extra}]'",
            ) from None
        for lazy in _CLIENT_PRELOADS.get(module, ()):
            try:
                importlib.import_module(lazy)
            except ImportError:  # another client version: it only costs the first call time
                continue
    return modules


def build_llm(spec: ModelSpec) -> Any:
    """The LLM for ``spec``: a plugin instance, or an Inference string AgentSession resolves."""
    if spec.inference:
        return f"{spec.provider}/{spec.model}"
    module: Any = importlib.import_module(PLUGINS[spec.provider][0])
    if spec.base_url:
        import httpx

        # a local server often needs no key; the client insists on one, any value will do
        key = os.environ.get("OPENAI_API_KEY") or "no-key"
        timeout = httpx.Timeout(LOCAL_LLM_TIMEOUT_S, connect=10.0)
        return module.LLM(model=spec.model, base_url=spec.base_url, api_key=key, timeout=timeout)
    return module.LLM(model=spec.model)


def build_models(settings: AgentSettings) -> dict[str, Any]:
    """The STT, LLM, TTS and VAD a process's calls share, built once (``prewarm``).

    Building them blocks: each plugin client loads TLS certificates, the VAD loads its model.
    """
    stt, tts = speech_spec("stt", settings.stt), speech_spec("tts", settings.tts)
    return {
        "stt": _build_speech(stt) if stt else None,
        "llm": build_llm(llm_spec(settings)),
        "tts": _build_speech(tts) if tts else None,
        "vad": None if is_text_only(settings) else load_vad(settings.vad),
    }


def turn_handling(settings: AgentSettings) -> TurnHandlingOptions:
    """``AgentSession(turn_handling=...)`` for one call."""
    if is_text_only(settings):  # typed chat turns are committed as they come
        return {"turn_detection": None}
    return {"turn_detection": _turn_detection(settings.turn_detection)}


def _build_speech(spec: ModelSpec) -> Any:
    if spec.inference:
        return f"{spec.provider}/{spec.model}"  # AgentSession resolves these through Inference
    module: Any = importlib.import_module(PLUGINS[spec.provider][0])
    factory = module.STT if spec.kind == "stt" else module.TTS
    return factory(model=spec.model)


def load_vad(name: str) -> Any:
    """The voice activity detector: blocking (it loads a model), so ``prewarm`` calls it."""
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
