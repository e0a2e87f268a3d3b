"""The agent's part of ``signalroom doctor``: models, plugins, keys, and whether the LLM answers.

- ``agent models``: the configured STT, LLM, TTS, VAD and turn detection.
- ``agent plugins``: each configured plugin is installed (found, not imported: doctor stays fast).
- ``agent keys``: what ``agent chat``, ``agent console`` and ``agent start`` still miss.
- ``agent llm``: one cheap request to the endpoint (list its models) with a short timeout.
"""

from __future__ import annotations

import importlib.util
import os

from signalroom.checks import Check
from signalroom.config import AgentSettings
from signalroom.errors import ConfigError
from signalroom.urls import redact_url

from .models import LIVEKIT_KEYS, PLUGINS, ModelSpec, llm_spec, model_specs, plugin_modules

PROBE_TIMEOUT_S = 3.0
#: Where each hosted provider lists its models (a request that costs no tokens).
_MODELS_URL = {
    "openai": "https://api.openai.com/v1/models",
    "anthropic": "https://api.anthropic.com/v1/models",
    "groq": "https://api.groq.com/openai/v1/models",
    "google": "https://generativelanguage.googleapis.com/v1beta/models",
}


def agent_checks(settings: AgentSettings, environ: dict[str, str] | None = None) -> list[Check]:
    env = dict(os.environ) if environ is None else environ
    try:
        specs = model_specs(settings)
        llm = llm_spec(settings)
    except ConfigError as exc:
        return [Check("agent models", "FAIL", str(exc), exc.hint)]
    kinds = {s.kind: s.label for s in specs}
    detail = (
        f"stt {kinds.get('stt', 'none')}, llm {kinds['llm']}, tts {kinds.get('tts', 'none')}, "
        f"vad {settings.vad}, turns {settings.turn_detection}"
    )
    return [
        Check("agent models", "ok", detail),
        _check_plugins(settings),
        _check_keys(settings, env),
        probe_llm(llm, env),
    ]


def _check_plugins(settings: AgentSettings) -> Check:
    modules = plugin_modules(settings)
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        extras = sorted({PLUGINS[m.rsplit(".", 1)[1]][1] for m in missing})
        return Check(
            "agent plugins",
            "FAIL",
            "not installed: " + ", ".join(missing),
            f"pip install 'signalroom[{','.join(extras)}]'",
        )
    return Check("agent plugins", "ok", ", ".join(modules) or "none needed")


def missing_by_mode(settings: AgentSettings, env: dict[str, str]) -> dict[str, list[str]]:
    """What chat, console and start each still need from the environment."""
    from .models import required_env

    modes = {
        "chat": required_env(settings, needs_server=False, text_only=True),
        "console": required_env(settings, needs_server=False),
        "start": required_env(settings, needs_server=True),
    }
    return {mode: [k for k in keys if not env.get(k)] for mode, keys in modes.items()}


def _check_keys(settings: AgentSettings, env: dict[str, str]) -> Check:
    missing = missing_by_mode(settings, env)
    parts = [
        f"{mode}: " + ("ready" if not keys else "missing " + ", ".join(keys))
        for mode, keys in missing.items()
    ]
    if not any(missing.values()):
        return Check("agent keys", "ok", "; ".join(parts))
    hint = (
        "agent chat works now; console and start need the variables listed"
        if not missing["chat"]
        else "export the variables, or point agent.llm_base_url at a local server for chat"
    )
    if missing["start"] and set(missing["start"]) <= set(LIVEKIT_KEYS) and not missing["console"]:
        hint = "agent start needs a LiveKit server or Cloud project (LIVEKIT_URL and keys)"
    return Check("agent keys", "warn", "; ".join(parts), hint)


def probe_llm(spec: ModelSpec, env: dict[str, str]) -> Check:
    """List the endpoint's models once, with a short timeout."""
    import httpx

    if spec.inference:
        return Check("agent llm", "ok", f"{spec.label} (LiveKit Inference; not contacted)")
    key = env.get(spec.env_key or "") if spec.env_key else env.get("OPENAI_API_KEY")
    if spec.base_url:
        url = spec.base_url.rstrip("/") + "/models"  # the request may carry the URL's password
    elif spec.provider in _MODELS_URL:
        url = _MODELS_URL[spec.provider]
        if not key:
            return Check(
                "agent llm", "warn", f"{spec.label}: not contacted, {spec.env_key} is not set"
            )
    else:
        return Check("agent llm", "ok", f"{spec.label} (no check for this provider)")
    if spec.provider == "anthropic":
        headers = {"x-api-key": key or "", "anthropic-version": "2023-06-01"}
    elif spec.provider == "google" and not spec.base_url:
        headers = {"x-goog-api-key": key or ""}
    else:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
    shown = redact_url(url)
    try:
        response = httpx.get(url, headers=headers, timeout=PROBE_TIMEOUT_S)
    except httpx.TimeoutException:
        return Check(
            "agent llm", "FAIL", f"{shown}: no answer in {PROBE_TIMEOUT_S:.0f}s", _hint(spec)
        )
    except httpx.HTTPError as exc:
        return Check("agent llm", "FAIL", f"{shown}: {type(exc).__name__}", _hint(spec))
    if response.status_code in (401, 403):
        return Check(
            "agent llm",
            "FAIL",
            f"{shown}: the key was refused (HTTP {response.status_code})",
            f"check {spec.env_key or 'OPENAI_API_KEY'}",
        )
    if response.status_code != 200:
        return Check("agent llm", "FAIL", f"{shown}: HTTP {response.status_code}", _hint(spec))
    return _listed(spec, shown, response)


def _listed(spec: ModelSpec, url: str, response: object) -> Check:
    try:
        data = response.json().get("data") or []  # type: ignore[attr-defined]
        names = {str(m.get("id")) for m in data if isinstance(m, dict)}
    except (ValueError, AttributeError):
        names = set()
    if names and spec.model not in names:
        listed = ", ".join(sorted(names)[:5])
        return Check(
            "agent llm",
            "warn",
            f"{url} answers, but does not list {spec.model!r} (it has: {listed})",
            "set agent.llm to 'openai/<one of those>'" if spec.base_url else None,
        )
    return Check("agent llm", "ok", f"{url} answers ({len(names)} models listed)")


def _hint(spec: ModelSpec) -> str:
    if spec.base_url:
        return "is the server running? (ollama serve / vllm serve); check agent.llm_base_url"
    return "check the network and the provider's status"
