"""Per-model usage from LiveKit's ``session_usage_updated`` event, kept as small tuples.

LiveKit sums usage per (provider, model) itself (``metrics.ModelUsageCollector``); each event
carries the session's totals so far, so the recorder keeps only the latest totals. A kind of
model the session never used has no row, which is how ``metrics_summary`` tells "not measured"
(``None``) from zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from signalroom.record import MetricsSummary, ModelUsage

Kind = Literal["llm", "stt", "tts", "realtime", "other"]
_KINDS: dict[str, Kind] = {"llm_usage": "llm", "stt_usage": "stt", "tts_usage": "tts"}


class UsageRow(NamedTuple):
    kind: Kind
    provider: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    audio_seconds: float | None = None
    characters: int | None = None
    requests: int | None = None


def compact(model_usage: Iterable[Any]) -> tuple[UsageRow, ...]:
    """LiveKit ``ModelUsage`` objects (LLM/STT/TTS/interruption/EOT usage) to rows."""
    rows: list[UsageRow] = []
    for u in model_usage:
        kind = _KINDS.get(getattr(u, "type", ""), "other")
        provider = str(getattr(u, "provider", "") or "unknown")[:512]
        model = str(getattr(u, "model", "") or "unknown")[:512]
        if kind == "llm":
            rows.append(
                UsageRow(
                    kind, provider, model, u.input_tokens, u.output_tokens, u.input_cached_tokens
                )
            )
        elif kind == "stt":
            rows.append(UsageRow(kind, provider, model, audio_seconds=u.audio_duration))
        elif kind == "tts":
            rows.append(
                UsageRow(
                    kind,
                    provider,
                    model,
                    characters=u.characters_count,
                    audio_seconds=u.audio_duration,
                )
            )
        else:
            requests = getattr(u, "total_requests", None)
            rows.append(UsageRow(kind, provider, model, requests=requests))
    return tuple(rows)


def _total(values: list[Any]) -> Any:
    return sum(values) if values else None


def summarize(rows: tuple[UsageRow, ...]) -> MetricsSummary:
    llm = [r for r in rows if r.kind == "llm"]
    stt = [r for r in rows if r.kind == "stt"]
    tts = [r for r in rows if r.kind == "tts"]
    prompt = _total([r.prompt_tokens or 0 for r in llm])
    completion = _total([r.completion_tokens or 0 for r in llm])
    return MetricsSummary(
        llm_tokens=None if prompt is None else prompt + completion,
        llm_prompt_tokens=prompt,
        llm_completion_tokens=completion,
        llm_cached_tokens=_total([r.cached_tokens or 0 for r in llm]),
        stt_audio_seconds=_total([r.audio_seconds or 0.0 for r in stt]),
        tts_characters=_total([r.characters or 0 for r in tts]),
        tts_audio_seconds=_total([r.audio_seconds or 0.0 for r in tts]),
    )


def to_models(rows: tuple[UsageRow, ...]) -> list[ModelUsage]:
    return [
        ModelUsage(
            kind=r.kind,
            provider=r.provider,
            model=r.model,
            prompt_tokens=r.prompt_tokens,
            completion_tokens=r.completion_tokens,
            cached_tokens=r.cached_tokens,
            audio_seconds=r.audio_seconds,
            characters=r.characters,
            requests=r.requests,
        )
        for r in rows
    ]
