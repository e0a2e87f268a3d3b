"""Cost of a call from its per-model usage and a price table.

Prices are keyed ``provider/model`` (lower case) with these fields, any of which may be absent::

    input_per_1m, output_per_1m, cached_per_1m   USD per million LLM tokens
    stt_per_minute                               USD per minute of audio transcribed
    tts_per_1m_chars                             USD per million characters synthesized
    per_request                                  USD per request (turn detectors and the like)

``provider/*`` prices every model of a provider. :data:`DEFAULT_PRICES` ships approximate list
prices of a few common models; ``[analyzers.prices]`` entries replace them per key. A model with
no price, or without the field its usage needs, is *unknown*: it is listed in ``unknown_models``
and ``total_usd`` is null, because a partial sum would understate the call. Usage of kind
``other`` (turn detection, interruption models) is priced only when a ``per_request`` price is
given, and otherwise left out of the total rather than making every call unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from signalroom.analyzers.base import config_version
from signalroom.record import ModelUsage, SessionRecord

CODE_VERSION = "1.0"

#: Approximate public list prices (USD); set your contract's prices in ``[analyzers.prices]``.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "openai/gpt-4.1": {"input_per_1m": 2.00, "output_per_1m": 8.00, "cached_per_1m": 0.50},
    "openai/gpt-4.1-mini": {"input_per_1m": 0.40, "output_per_1m": 1.60, "cached_per_1m": 0.10},
    "openai/gpt-4.1-nano": {"input_per_1m": 0.10, "output_per_1m": 0.40, "cached_per_1m": 0.025},
    "openai/gpt-4o": {"input_per_1m": 2.50, "output_per_1m": 10.00, "cached_per_1m": 1.25},
    "openai/gpt-4o-mini": {"input_per_1m": 0.15, "output_per_1m": 0.60, "cached_per_1m": 0.075},
    "deepgram/nova-3": {"stt_per_minute": 0.0077},
    "deepgram/nova-2": {"stt_per_minute": 0.0058},
    "cartesia/sonic-2": {"tts_per_1m_chars": 65.0},
    "openai/tts-1": {"tts_per_1m_chars": 15.0},
    # The scripted models of the simulator cost nothing, and say so explicitly.
    "scripted/*": {
        "input_per_1m": 0.0,
        "output_per_1m": 0.0,
        "cached_per_1m": 0.0,
        "stt_per_minute": 0.0,
        "tts_per_1m_chars": 0.0,
        "per_request": 0.0,
    },
}

#: Provider names as LiveKit plugins report them → the name used in price keys.
PROVIDER_ALIASES = {"api.openai.com": "openai"}


class CostAnalyzer:
    name = "cost"

    def __init__(self, prices: Mapping[str, Any] | None = None) -> None:
        table = {k.lower(): dict(v) for k, v in DEFAULT_PRICES.items()}
        table.update({str(k).lower(): dict(v) for k, v in (prices or {}).items()})
        self.prices = table
        self.version = config_version(CODE_VERSION, table, DEFAULT_PRICES)

    def analyze(self, record: SessionRecord) -> dict[str, Any]:
        by_model: list[dict[str, Any]] = []
        unknown: list[str] = []
        total = 0.0
        for usage in record.usage:
            usd = self._price(usage)
            by_model.append(
                {"kind": usage.kind, "provider": usage.provider, "model": usage.model, "usd": usd}
            )
            if usd is not None:
                total += usd
            elif usage.kind != "other":
                unknown.append(f"{usage.provider}/{usage.model}")
        result: dict[str, Any] = {
            "total_usd": None if unknown or not record.usage else round(total, 6),
            "by_model": by_model,
            "unknown_models": unknown,
        }
        if not record.usage:
            result["note"] = "no per-model usage in the record"
        return result

    def price_for(self, provider: str, model: str) -> dict[str, float] | None:
        prov = provider.lower()
        prov = PROVIDER_ALIASES.get(prov, prov)
        mod = model.lower()
        for key in (f"{prov}/{mod}", mod, f"{prov}/*"):
            if key in self.prices:
                return self.prices[key]
        return None

    def _price(self, u: ModelUsage) -> float | None:
        price = self.price_for(u.provider, u.model)
        if price is None:
            return None
        try:
            if u.kind in ("llm", "realtime"):
                return _llm_cost(u, price)
            if u.kind == "stt":
                return (u.audio_seconds or 0.0) / 60.0 * price["stt_per_minute"]
            if u.kind == "tts":
                return (u.characters or 0) / 1e6 * price["tts_per_1m_chars"]
            return (u.requests or 0) * price["per_request"]
        except KeyError:
            return None


def _llm_cost(u: ModelUsage, price: Mapping[str, float]) -> float:
    cached = u.cached_tokens or 0
    # Providers count cached tokens inside the prompt tokens; they are billed at their own rate.
    uncached = max(0, (u.prompt_tokens or 0) - cached)
    cost = uncached / 1e6 * price["input_per_1m"]
    cost += (u.completion_tokens or 0) / 1e6 * price["output_per_1m"]
    if cached:
        cost += cached / 1e6 * price.get("cached_per_1m", price["input_per_1m"])
    return cost
