"""The versioned session record: what one call leaves behind.

`SessionRecord` keeps every field of the original phase-1 record (``session_id``, times,
``discovered_signals``, ``tool_calls``, ``metrics_summary``) and adds what the pipeline needs:
``schema_version``, an idempotency key ``record_id``, a monotonic ``revision`` and ``complete``,
plus richer, optional collection data. Additive changes keep the major version; a consumer
dead-letters a major it does not know (see :func:`decode_record`).

Forward compatibility: within one major version, fields this build does not know are kept
(``extra="allow"``, at every level), written back in the record's JSON and so stored in the
warehouse's raw ``record`` and passed to destinations that take the raw record. Agents and
services may therefore be deployed in either order when a minor version adds fields; only an
unknown major is refused.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    ValidationError,
    model_validator,
)

from signalroom.errors import InvalidRecordError, UnknownSchemaVersionError
from signalroom.industries import Industry as Industry  # noqa: PLC0414 (re-exported)

SCHEMA_MAJOR = 1
SCHEMA_MINOR = 0
SCHEMA_VERSION = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
RECORD_TYPE = "signalroom.session.v1"

#: Namespace for deriving ``record_id`` from ``session_id`` and ``start_time``.
RECORD_NAMESPACE = uuid.UUID("6f1c2a4e-8b0d-5e27-9c3a-51a7d4e0b9f2")

# Bounds that keep one record from growing without limit; the recorder clips text to these
# before building a record, so a record that exceeds them came from somewhere else and is refused.
ShortText = Annotated[str, Field(max_length=512)]
LongText = Annotated[str, Field(max_length=20_000)]

#: The instants every store can hold: any offset or local-time conversion of one stays a valid
#: ``datetime`` (a day inside Python's range), so a record never fails late in a warehouse.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def _storable(value: datetime) -> datetime:
    if 1 < value.year < 9999:  # any offset keeps it in range: the common case, checked fast
        return value
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    try:
        inside = EARLIEST <= utc <= LATEST
    except OverflowError:  # an offset pushes the instant itself out of range
        inside = False
    if not inside:
        raise ValueError(
            f"{value.isoformat()} is outside the supported range "
            f"({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} UTC)"
        )
    return value


#: A point in time a store can hold (see ``EARLIEST``/``LATEST``).
Instant = Annotated[datetime, AfterValidator(_storable)]

Urgency = Literal["high", "medium", "low"]
ConversationStage = Literal[
    "greeting", "discovery", "qualification", "solution", "booking", "wrap_up"
]
SignalSource = Literal["pattern", "tool"]


class _Model(BaseModel):
    # Unknown fields are kept, not refused: see the module docstring. Numbers are finite:
    # JSON has no NaN or infinity, so such a record could not be stored and read back.
    model_config = ConfigDict(extra="allow", validate_assignment=False, allow_inf_nan=False)


class DiscoveredSignals(_Model):
    """The session's merged view of the five qualification signals (see docs/signals.md)."""

    team_size: NonNegativeInt | None = None
    monthly_volume: NonNegativeFloat | None = None
    integration_needs: list[ShortText] = Field(default_factory=list, max_length=100)
    urgency: Urgency | None = None
    industry: Industry | None = None


class SignalEvidence(_Model):
    """Why a signal has its value: which turn said it, when, and the words that matched."""

    field: Literal["team_size", "monthly_volume", "integration_needs", "urgency", "industry"]
    value: int | float | str
    source: SignalSource = "pattern"
    turn_index: NonNegativeInt | None = None
    at: Instant | None = None
    span: ShortText | None = None


class ToolCall(_Model):
    """One function-tool call. Knowledge searches fill the query fields, bookings the customer ones.

    ``tool`` is the function's own name, so records of older deployments (for example
    ``unleash_search_knowledge``) validate and are analyzed alike.
    """

    tool: ShortText
    timestamp: Instant
    query: LongText | None = None
    category: ShortText | None = None
    results_found: bool | None = None
    total_results: NonNegativeInt | None = None
    customer_name: ShortText | None = None
    customer_email: ShortText | None = None
    success: bool | None = None
    duration_ms: NonNegativeFloat | None = None
    error: LongText | None = None
    arguments: dict[str, Any] | None = None


class MetricsSummary(_Model):
    """Session totals. ``None`` means the mode could not measure it, never zero by default."""

    llm_tokens: NonNegativeInt | None = None
    stt_audio_seconds: NonNegativeFloat | None = None
    tts_characters: NonNegativeInt | None = None
    llm_prompt_tokens: NonNegativeInt | None = None
    llm_completion_tokens: NonNegativeInt | None = None
    llm_cached_tokens: NonNegativeInt | None = None
    tts_audio_seconds: NonNegativeFloat | None = None


class ModelUsage(_Model):
    """Usage of one model of one provider, summed over the session."""

    kind: Literal["llm", "stt", "tts", "realtime", "other"]
    provider: ShortText
    model: ShortText
    prompt_tokens: NonNegativeInt | None = None
    completion_tokens: NonNegativeInt | None = None
    cached_tokens: NonNegativeInt | None = None
    audio_seconds: NonNegativeFloat | None = None
    characters: NonNegativeInt | None = None
    requests: NonNegativeInt | None = None


class TurnMetrics(_Model):
    """Latency of one agent reply, joined to the user turn that caused it by ``turn_id``."""

    turn_id: ShortText
    index: NonNegativeInt
    e2e_latency_ms: NonNegativeFloat | None = None
    llm_ttft_ms: NonNegativeFloat | None = None
    tts_ttfb_ms: NonNegativeFloat | None = None
    end_of_turn_delay_ms: NonNegativeFloat | None = None
    transcription_delay_ms: NonNegativeFloat | None = None


class TranscriptItem(_Model):
    role: Literal["user", "assistant", "system"]
    text: LongText
    at: Instant | None = None
    turn_index: NonNegativeInt | None = None


class StageChange(_Model):
    stage: ConversationStage
    at: Instant


class ConversationNote(_Model):
    text: LongText
    at: Instant | None = None


class SessionRecord(_Model):
    """One call, as the agent hands it to the pipeline. See docs/record-schema.md."""

    schema_version: ShortText = SCHEMA_VERSION
    record_id: ShortText = ""
    revision: NonNegativeInt = 0
    complete: bool = True

    session_id: ShortText
    start_time: Instant
    end_time: Instant | None = None
    duration_seconds: NonNegativeFloat | None = None
    discovered_signals: DiscoveredSignals = Field(default_factory=DiscoveredSignals)
    tool_calls: list[ToolCall] = Field(default_factory=list, max_length=1_000)
    metrics_summary: MetricsSummary = Field(default_factory=MetricsSummary)

    agent_name: ShortText | None = None
    room: ShortText | None = None
    participant_identity: ShortText | None = None
    close_reason: ShortText | None = None
    errors: list[LongText] = Field(default_factory=list, max_length=200)
    collection_errors: NonNegativeInt = 0
    user_turns: NonNegativeInt | None = None
    agent_turns: NonNegativeInt | None = None
    conversation_state: ConversationStage | None = None
    stage_history: list[StageChange] = Field(default_factory=list, max_length=200)
    conversation_notes: list[ConversationNote] = Field(default_factory=list, max_length=200)
    signal_evidence: list[SignalEvidence] = Field(default_factory=list, max_length=2_000)
    usage: list[ModelUsage] = Field(default_factory=list, max_length=100)
    turns: list[TurnMetrics] = Field(default_factory=list, max_length=2_000)
    transcript: list[TranscriptItem] | None = Field(default=None, max_length=2_000)
    redaction: dict[str, str] | None = None
    metadata: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, max_length=100
    )

    @model_validator(mode="after")
    def _derive_record_id(self) -> SessionRecord:
        if not self.record_id:
            self.record_id = derive_record_id(self.session_id, self.start_time)
        _check_free_form(self)
        return self

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=False)


#: Nesting allowed in free-form values; deeper ones could not be serialized again.
MAX_FREE_FORM_DEPTH = 64


def _check_free_form(record: SessionRecord) -> None:
    """Values of fields typed ``Any`` (unknown fields kept for forward compatibility, tool-call
    arguments) must be storable JSON too: text that is valid Unicode (no lone surrogate, which
    JSON can escape but UTF-8 cannot hold), finite numbers, nesting a serializer can write.
    Checked once per record, here, so a bad one is refused with its reason instead of failing
    a store later."""
    models: list[BaseModel] = [record, record.discovered_signals, record.metrics_summary]
    for many in (
        record.tool_calls,
        record.usage,
        record.turns,
        record.stage_history,
        record.conversation_notes,
        record.signal_evidence,
        record.transcript or (),
    ):
        models.extend(many)  # fmt: skip
    pending: list[tuple[str, Any, int]] = []
    for model in models:
        if model.__pydantic_extra__:
            pending.extend((name, value, 1) for name, value in model.__pydantic_extra__.items())
    pending.extend(("arguments", c.arguments, 1) for c in record.tool_calls if c.arguments)
    while pending:  # iterative: any depth the parser accepted is walked without recursion
        name, value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(name, value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name}: {value} is not a finite number")
        elif isinstance(value, dict | list) and depth > MAX_FREE_FORM_DEPTH:
            raise ValueError(f"{name}: nested deeper than {MAX_FREE_FORM_DEPTH} levels")
        elif isinstance(value, dict):
            for key, inner in value.items():
                _check_text(name, key)
                pending.append((name, inner, depth + 1))
        elif isinstance(value, list):
            pending.extend((name, inner, depth + 1) for inner in value)


def _check_text(name: str, text: str) -> None:
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{name}: text is not valid Unicode (a lone surrogate)") from None


def derive_record_id(session_id: str, start_time: datetime) -> str:
    """uuid5 of ``session_id`` and ``start_time``: the same call always gets the same key."""
    return str(uuid.uuid5(RECORD_NAMESPACE, f"{session_id}|{start_time.isoformat()}"))


#: A major in ASCII digits, then optionally ``.`` and the rest (the minor, not interpreted):
#: ``str.isdigit`` also accepts "²" or "٣", which ``int`` then refuses or reads differently.
_VERSION = re.compile(r"([0-9]{1,6})(?:\..*)?", re.ASCII | re.DOTALL)


def schema_major(version: str) -> int:
    match = _VERSION.fullmatch(version)
    if match is None:
        raise UnknownSchemaVersionError(
            f"schema_version {version[:40]!r} is not MAJOR.MINOR in ASCII digits"
        )
    return int(match.group(1))


def decode_record(payload: bytes | str | dict[str, Any]) -> SessionRecord:
    """Parse and validate a record from JSON bytes, text or a dict.

    Raises :class:`InvalidRecordError` (not retryable) naming what was wrong, or
    :class:`UnknownSchemaVersionError` for a major version this build does not know.
    """
    if not isinstance(payload, dict):
        # pydantic parses and validates JSON in one pass, without an intermediate dict; any
        # failure takes the path below, so errors read the same whichever path ran.
        try:
            record = SessionRecord.model_validate_json(payload)
        except Exception:  # whatever it is, the reference path below names it
            record = None
        if record is not None and known_major(record.schema_version):
            return record
        return _validate(check_unicode(_loads(payload)))
    return _validate(payload)


def check_unicode(data: Any) -> Any:
    """``data`` (parsed JSON), after refusing text no store can hold: JSON may escape a lone
    UTF-16 surrogate (``"\\udfff"``), which Python's parser keeps and UTF-8 cannot encode.
    pydantic's own parser refuses it; this is for data parsed by ``json.loads``."""
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise InvalidRecordError(
            "record holds text that is not valid Unicode (a lone surrogate)"
        ) from None
    except (ValueError, TypeError, RecursionError):
        pass  # named by validation
    return data


def _loads(payload: bytes | str) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidRecordError(f"payload is not JSON: {exc}") from None


def _validate(data: Any) -> SessionRecord:
    if not isinstance(data, dict):
        raise InvalidRecordError(f"record must be a JSON object, got {type(data).__name__}")
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, str):
        raise InvalidRecordError("schema_version must be a string like '1.0'")
    if schema_major(version) != SCHEMA_MAJOR:
        raise UnknownSchemaVersionError(
            f"schema_version {version[:40]!r} has a major this build does not know "
            f"(it reads {SCHEMA_MAJOR}.x)"
        )
    try:
        return SessionRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(_describe(exc)) from None
    except RecursionError:
        raise InvalidRecordError("record is nested too deeply") from None
    except Exception as exc:  # a parse error pydantic does not wrap must not escape unnamed
        raise InvalidRecordError(f"invalid record: {type(exc).__name__}: {exc}") from None


def known_major(version: str) -> bool:
    """Whether this build reads records of ``version`` (its major is the one it knows)."""
    try:
        return schema_major(version) == SCHEMA_MAJOR
    except UnknownSchemaVersionError:
        return False


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    more = exc.error_count() - len(parts)
    tail = f" (+{more} more)" if more > 0 else ""
    return "invalid record: " + "; ".join(parts) + tail


def json_schema() -> dict[str, Any]:
    schema = SessionRecord.model_json_schema()
    schema["$id"] = "https://signalroom.dev/schemas/session-record.v1.json"
    schema["title"] = "SessionRecord"
    return schema
