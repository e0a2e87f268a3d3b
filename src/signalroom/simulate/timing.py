"""When simulated calls happen and how long their parts take: a model, not a measurement.

A text-mode simulated call runs in about a second, with no speech at all. So that the demo's
dashboard looks like a month of use, :class:`TimingModel` rewrites each record of a simulated
call (every checkpoint and the final record alike) as if the call had been spoken:

- **When.** :func:`business_hours_starts` spreads the calls over the last ``days`` days
  (default 30, today excluded), weekdays only, between 09:00 and 17:00 in the deployment's
  ``booking.default_timezone``: a few calls a day.
- **How long.** Each part of a turn is drawn from a log-normal distribution around a median
  (spread ``sigma``, the standard deviation of its logarithm), seeded by the session id and the
  turn, so a record and its checkpoints agree and a re-run gives the same figures:

  ====================  =========  =====  =============================================
  part                  median     sigma  meaning
  ====================  =========  =====  =============================================
  caller speech         words/2.5  —      150 words a minute
  caller pause          800 ms     0.5    thinking before the caller speaks
  transcription delay   250 ms     0.35   end of speech → final transcript (STT)
  endpointing           300 ms     0.4    final transcript → end of turn decided
  LLM time to 1st tok.  550 ms     0.35   once per model round; a tool call adds a round
  TTS time to 1st byte  180 ms     0.3    first audio of the reply
  agent speech          chars/15   —      synthesized speech, 15 characters a second
  ====================  =========  =====  =============================================

  A reply's end-to-end latency is the end-of-turn delay (transcription + endpointing), plus
  the LLM rounds and the tools' own durations (as they ran), plus the TTS time to first byte.
  Tools run after the first LLM round, one after another, for the time they really took.
  The other events of the call keep their real order; between two caller turns they are
  spaced evenly over the modelled time.
- **What it costs.** Usage is re-labelled with the models the deployment's agent would use in
  production (``agent.llm``, ``agent.stt``, ``agent.tts``): LLM tokens as the scripted model
  counted them, STT minutes from the caller's modelled speech, TTS characters from the agent's
  replies. The cost analyzer prices them from its price table.

Every record the model touches says so: ``metadata["simulated"] = True`` and
``metadata["timing"] = "model"``. In audio mode (``measured=True``) LiveKit has measured the
latencies and speech usage of the scripted pipeline: those are kept (``timing = "measured"``)
and only the start time moves and the models are re-labelled.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from signalroom.record import SessionRecord, derive_record_id

WORDS_PER_SECOND = 2.5
CHARS_PER_SECOND = 15.0
#: (median ms, sigma) of each modelled part.
PAUSE = (800.0, 0.5)
TRANSCRIPTION = (250.0, 0.35)
ENDPOINTING = (300.0, 0.4)
LLM_TTFT = (550.0, 0.35)
TTS_TTFB = (180.0, 0.3)
#: The caller hangs up this long after the agent's last words.
HANG_UP_MS = 1_000.0
BUSINESS_HOURS = (time(9, 0), time(17, 0))


def _draw(rng: random.Random, part: tuple[float, float]) -> float:
    median, sigma = part
    return median * math.exp(rng.gauss(0.0, sigma))


def business_hours_starts(
    n: int, seed: int, *, now: datetime | None = None, days: int = 30, tz: str = "UTC"
) -> list[datetime]:
    """``n`` start times (UTC, ascending) on the weekdays of the last ``days`` days."""
    zone = ZoneInfo(tz)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    weekdays = [
        d for d in (today - timedelta(days=back) for back in range(days, 0, -1)) if d.weekday() < 5
    ] or [today - timedelta(days=1)]
    rng = random.Random(f"starts:{seed}:{n}")
    opens, closes = BUSINESS_HOURS
    # Calls end before closing time: the last start is an hour before it.
    span_s = (closes.hour - opens.hour - 1) * 3600
    starts = []
    for _ in range(n):
        day: date = rng.choice(weekdays)
        local = datetime.combine(day, opens, zone) + timedelta(seconds=rng.uniform(0, span_s))
        starts.append(local.astimezone(UTC).replace(microsecond=0))
    return sorted(starts)


def _split_model(spec: str) -> tuple[str, str]:
    """``openai/gpt-4.1-mini`` or ``inference/openai/gpt-4.1-mini`` → (provider, model)."""
    parts = spec.removeprefix("inference/").split("/", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("unknown", parts[0])


@dataclass(frozen=True, slots=True)
class TimingModel:
    """Rewrites a simulated call's records to start at ``start`` and to take modelled time."""

    start: datetime
    llm: str = "openai/gpt-4.1-mini"
    stt: str = "deepgram/nova-3"
    tts: str = "cartesia/sonic-2"
    measured: bool = False

    def apply(self, record: SessionRecord) -> SessionRecord:
        data = record.model_dump(mode="python")
        origin = record.start_time
        plan = None if self.measured else _plan(data, origin, self.start, record.session_id)
        if plan is None:
            _retime(data, _Shift(self.start - origin))
        else:
            data["turns"] = plan.turns
            _retime(data, plan)
        data["start_time"] = self.start
        data["record_id"] = derive_record_id(record.session_id, self.start)
        self._relabel(data, plan)
        data["metadata"] = {
            **data.get("metadata", {}),
            "simulated": True,
            "timing": "measured" if self.measured else "model",
        }
        return SessionRecord.model_validate(data)

    def _relabel(self, data: dict[str, Any], plan: _Plan | None) -> None:
        models = {"llm": _split_model(self.llm), "stt": _split_model(self.stt)}
        models["tts"] = _split_model(self.tts)
        usage = []
        for u in data.get("usage") or []:
            if u["kind"] not in models:  # turn detection and the like: kept as recorded
                usage.append(u)
            elif plan is None or u["kind"] == "llm":  # modelled speech replaces stt and tts
                usage.append({**u, "provider": models[u["kind"]][0], "model": models[u["kind"]][1]})
        summary = data["metrics_summary"]
        if plan is not None:
            usage.append(_usage("stt", models["stt"], audio_seconds=round(plan.speech_s, 3)))
            usage.append(_usage("tts", models["tts"], characters=plan.agent_chars))
            summary["stt_audio_seconds"] = round(plan.speech_s, 3)
            summary["tts_characters"] = plan.agent_chars
            summary["tts_audio_seconds"] = round(plan.agent_chars / CHARS_PER_SECOND, 3)
        data["usage"] = usage


def _usage(kind: str, model: tuple[str, str], **amounts: Any) -> dict[str, Any]:
    return {"kind": kind, "provider": model[0], "model": model[1], **amounts}


class _Shift:
    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def __call__(self, at: datetime) -> datetime:
        return at + self.shift


class _Plan:
    """A monotone map from the real times of a call to its modelled times.

    ``knots`` are real instants (call start, greeting, each caller turn and the reply to it,
    call end) and ``sim`` their modelled instants; times in between are interpolated linearly.
    """

    def __init__(self, pairs: list[tuple[datetime, datetime]]) -> None:
        self.knots: list[datetime] = []
        self.sim: list[datetime] = []
        for given, modelled in pairs:
            real = given if given.tzinfo else given.replace(tzinfo=UTC)
            # Real instants can tie (two events in one clock tick): nudge them apart by 1 µs.
            if self.knots and real <= self.knots[-1]:
                real = self.knots[-1] + timedelta(microseconds=1)
            self.knots.append(real)
            self.sim.append(max(modelled, self.sim[-1]) if self.sim else modelled)
        self.turns: list[dict[str, Any]] = []
        #: Modelled completion time of tool calls, by position in the record's list.
        self.tool_at: dict[int, datetime] = {}
        self.speech_s = 0.0
        self.agent_chars = 0

    def __call__(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        i = max(0, min(bisect_right(self.knots, at) - 1, len(self.knots) - 2))
        real = (self.knots[i + 1] - self.knots[i]).total_seconds()
        frac = (at - self.knots[i]).total_seconds() / real if real > 0 else 1.0
        frac = min(1.0, max(0.0, frac))
        return self.sim[i] + (self.sim[i + 1] - self.sim[i]) * frac


def _plan(data: dict[str, Any], origin: datetime, start: datetime, session_id: str) -> _Plan:
    transcript = data.get("transcript") or []
    user_items = [t for t in transcript if t["role"] == "user" and t.get("at") is not None]
    end = data.get("end_time") or max(
        [origin, *(t["at"] for t in transcript if t.get("at") is not None)]
    )
    if user_items:
        user_words = [len(str(t["text"]).split()) for t in user_items]
        replies = _reply_chars(transcript, len(user_items))
    else:  # no transcript kept: average spoken turns and replies
        n_user = max(1, int(data.get("user_turns") or 1))
        user_words, replies = [12] * n_user, [120] * (n_user + 1)
    # Real instants that open each caller turn's stretch, and the call's end.
    bounds = [t["at"] for t in user_items] or [origin] * len(user_words)
    bounds.append(end)
    calls = data.get("tool_calls") or []

    agent_at = [t["at"] for t in transcript if t["role"] == "assistant" and t.get("at")]
    tool_at: dict[int, datetime] = {}
    turns: list[dict[str, Any]] = []
    # Before the first caller turn: the greeting, then the caller's pause and first words.
    rng = random.Random(f"{session_id}:greeting")
    ttft, ttfb = _draw(rng, LLM_TTFT), _draw(rng, TTS_TTFB)
    turns.append({"turn_id": "greeting", "llm_ttft_ms": ttft, "tts_ttfb_ms": ttfb})
    speech_s = user_words[0] / WORDS_PER_SECOND
    # (real instant, modelled instant) pairs the plan interpolates between.
    knots = [(origin, start)]
    greeting = _first_between(agent_at, origin, bounds[0])
    if greeting is not None and user_items:
        knots.append((greeting, start + _ms(ttft + ttfb)))
    lead_ms = ttft + ttfb + replies[0] / CHARS_PER_SECOND * 1000
    lead_ms += _draw(rng, PAUSE) + speech_s * 1000 + _draw(rng, TRANSCRIPTION)
    at = start + _ms(lead_ms)
    for i in range(len(user_words)):
        rng = random.Random(f"{session_id}:turn-{i}")
        lo, hi = bounds[i], bounds[i + 1]
        inside = [j for j, c in enumerate(calls) if lo <= c["timestamp"] < hi and user_items]
        durations = [float(calls[j].get("duration_ms") or 0.0) for j in inside]
        tools = sum(durations)
        transcription = _draw(rng, TRANSCRIPTION)
        eot = transcription + _draw(rng, ENDPOINTING)
        ttft = _draw(rng, LLM_TTFT)
        # A reply that called tools took one more model round after them.
        llm = ttft + (_draw(rng, LLM_TTFT) if inside else 0.0)
        ttfb = _draw(rng, TTS_TTFB)
        e2e = eot + llm + tools + ttfb
        turns.append(
            {
                "turn_id": f"turn-{i}",
                "e2e_latency_ms": e2e,
                "llm_ttft_ms": ttft,
                "tts_ttfb_ms": ttfb,
                "end_of_turn_delay_ms": eot,
                "transcription_delay_ms": transcription,
            }
        )
        # Tools run after the first model round, one after another; each is stamped when done.
        done = at + _ms(eot - transcription + ttft)
        for j, ms in zip(inside, durations, strict=True):
            done += _ms(ms)
            tool_at[j] = done
        # The caller's final transcript, then the reply once the latency has passed.
        if user_items:
            knots.append((lo, at))
            reply = _first_between(agent_at, lo, hi)
            if reply is not None:
                knots.append((reply, at + _ms(e2e - transcription)))
        span_ms = e2e - transcription + replies[i + 1] / CHARS_PER_SECOND * 1000
        if i + 1 < len(user_words):
            words_s = user_words[i + 1] / WORDS_PER_SECOND
            speech_s += words_s
            span_ms += _draw(rng, PAUSE) + words_s * 1000 + _draw(rng, TRANSCRIPTION)
        else:
            span_ms += HANG_UP_MS
        at += _ms(span_ms)
    knots.append((end, at))
    plan = _Plan(knots)
    plan.tool_at = tool_at
    plan.turns = _number(turns, data.get("turns") or [])
    plan.speech_s = speech_s
    plan.agent_chars = sum(replies)
    return plan


def _ms(value: float) -> timedelta:
    return timedelta(milliseconds=value)


def _first_between(times: Sequence[datetime], lo: datetime, hi: datetime) -> datetime | None:
    return next((t for t in times if lo < t < hi), None)


def _reply_chars(transcript: Sequence[dict[str, Any]], n_user: int) -> list[int]:
    """Characters the agent spoke before the first caller turn and after each one."""
    chars = [0] * (n_user + 1)
    turn = 0
    for item in transcript:
        if item["role"] == "user":
            turn = min(turn + 1, n_user)
        elif item["role"] == "assistant":
            chars[turn] += len(str(item["text"]))
    return chars


def _number(modelled: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Modelled turn metrics in the recorded turns' order (a checkpoint has fewer turns)."""
    by_id = {t["turn_id"]: t for t in modelled}
    out = []
    for index, turn in enumerate(recorded):
        metrics = by_id.get(turn["turn_id"], {})
        out.append(
            {
                **{k: None for k in turn if k not in ("turn_id", "index")},
                "turn_id": turn["turn_id"],
                "index": index,
                **{k: round(v, 1) for k, v in metrics.items() if k != "turn_id"},
            }
        )
    return out


def _retime(data: dict[str, Any], at: Any) -> None:
    """Move every timestamp of the record through ``at`` (a real → modelled time map)."""
    for key in ("transcript", "stage_history", "conversation_notes", "signal_evidence"):
        for item in data.get(key) or []:
            if item.get("at") is not None:
                item["at"] = at(item["at"])
    tool_at = getattr(at, "tool_at", {})
    for i, call in enumerate(data.get("tool_calls") or []):
        call["timestamp"] = tool_at.get(i) or at(call["timestamp"])
    if data.get("end_time") is not None:
        data["end_time"] = at(data["end_time"])
    start = at(data["start_time"])
    if data.get("end_time") is not None:
        data["duration_seconds"] = round((data["end_time"] - start).total_seconds(), 3)
