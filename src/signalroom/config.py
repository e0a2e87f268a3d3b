"""Configuration: ``HOME/signalroom.toml``, then ``SIGNALROOM_*`` environment variables.

Every part runs embedded with no settings at all (SQLite outbox, spool queue, DuckDB
warehouse, local knowledge base and booking store). One URL or key moves a part to its
production service. Environment variables win over the file; nested keys use ``__``
(``SIGNALROOM_SERVICE__CONCURRENCY=8``). Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from signalroom.errors import ConfigError

CONFIG_FILE = "signalroom.toml"
DEFAULT_HOME = Path(".signalroom")


class _Section(BaseModel):
    """A settings section: a misspelt key (``concurency``) is refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class OutboxSettings(_Section):
    """The agent-side durable spool (``HOME/outbox.sqlite``)."""

    path: Path | None = None
    #: SQLite ``synchronous``: FULL survives power loss; NORMAL (WAL) survives process kill.
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    batch_size: int = Field(default=100, ge=1, le=10_000)
    max_attempts: int = Field(default=8, ge=1)
    memory_buffer: int = Field(default=1_000, ge=1)
    checkpoint_interval_s: float = Field(default=5.0, gt=0)
    forward_interval_s: float = Field(default=1.0, gt=0)
    #: The forwarder's backoff after failed passes grows to this (exponential with jitter).
    max_backoff_s: float = Field(default=60.0, gt=0)
    #: How long an append waits for another process's write lock before buffering in memory.
    busy_timeout_ms: int = Field(default=1_000, ge=0)


class AgentSettings(_Section):
    """The LiveKit worker: models come from plugin names or LiveKit inference strings."""

    name: str = "signalroom-sales"
    consent_line: str = "This call may be recorded to help us follow up."
    product_dir: Path | None = None
    stt: str = "deepgram/nova-3"
    llm: str = "openai/gpt-4.1-mini"
    #: Any OpenAI-compatible server (Ollama, vLLM, LM Studio) for an ``openai/<model>`` LLM.
    llm_base_url: str | None = None
    tts: str = "cartesia/sonic-2"
    vad: str = "silero"
    turn_detection: str = "multilingual"
    #: Keep user and agent texts in the record (privacy policy may redact them later).
    keep_transcript: bool = True
    #: Seconds between in-progress checkpoints of a live call; unset uses the outbox's.
    checkpoint_interval_s: float | None = Field(default=None, gt=0)
    #: Most tool rounds the model may chain in one reply.
    max_tool_steps: int = Field(default=3, ge=1, le=10)


class SignalsSettings(_Section):
    """Extra vocabulary files merged over the bundled ones (see docs/signals.md)."""

    vocabulary_files: list[Path] = Field(default_factory=list)


class KnowledgeSettings(_Section):
    """Product knowledge: bundled docs, a folder of Markdown, or an HTTP search API."""

    backend: Literal["local", "http"] = "local"
    docs_dir: Path | None = None
    url: str | None = None
    token: SecretStr | None = None
    timeout_s: float = Field(default=3.0, gt=0)
    top_k: int = Field(default=3, ge=1)
    #: HTTP backend: ``unleash-account`` header for impersonating API keys.
    account: str | None = None
    #: HTTP backend: sent as ``assistantId`` to scope the search.
    assistant_id: str | None = None
    #: HTTP backend: the labels callers may filter by (the local backend reads its own).
    categories: list[str] = Field(default_factory=list)


class BookingSettings(_Section):
    """Meeting booking: a local SQLite store with .ics invites, or Cal.com."""

    backend: Literal["local", "calcom"] = "local"
    url: str = "https://api.cal.com"
    api_key: SecretStr | None = None
    event_type_id: int | None = None
    #: Cal.com ``cal-api-version`` header for ``POST /v2/bookings``.
    api_version: str = "2024-08-13"
    default_timezone: str = "UTC"
    meeting_minutes: int = Field(default=30, ge=5, le=480)
    timeout_s: float = Field(default=5.0, gt=0)
    #: Bookable hours on weekdays, in the caller's time zone: start >= open, start < close.
    open_hour: int = Field(default=8, ge=0, le=23)
    close_hour: int = Field(default=18, ge=1, le=24)
    #: Local backend: who the .ics invite comes from, and an optional fixed meeting link.
    organizer_name: str = "Quillflow Sales"
    organizer_email: str = "sales@quillflow.example"
    join_url: str | None = None


class ServiceSettings(_Section):
    #: Batches in flight at once (analysis of one overlaps the warehouse write of another).
    concurrency: int = Field(default=4, ge=1)
    #: Messages per batch, and so per warehouse transaction: large batches amortize the commit.
    batch_size: int = Field(default=500, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    #: Warehouse writes tried in place (short backoff) before a batch goes back to the queue.
    warehouse_attempts: int = Field(default=3, ge=1)
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    #: How long an empty queue ends ``--until-idle``.
    idle_s: float = Field(default=1.0, gt=0)
    #: With --until-idle: how long an unreachable queue is retried before the run fails.
    unreachable_s: float = Field(default=15.0, gt=0)
    #: How long one consume call waits for messages.
    poll_s: float = Field(default=0.5, gt=0)
    #: Redelivery delay after a retryable failure: base * 2**(attempt-1), capped.
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=60.0, ge=0)
    #: How often failed deliveries to optional destinations are retried.
    delivery_retry_interval_s: float = Field(default=30.0, gt=0)
    log_file: bool = True


class AnalyzerSettings(_Section):
    """Lead-score weights and thresholds, and the price table for the cost analyzer."""

    lead_score: dict[str, Any] = Field(default_factory=dict)
    prices: dict[str, Any] = Field(default_factory=dict)
    #: Outcome rules (min_seconds, min_user_turns, max_questions) merged over the defaults.
    outcome: dict[str, Any] = Field(default_factory=dict)
    #: Opt-in LLM summary through an OpenAI-compatible ``/chat/completions`` endpoint.
    llm_summary: bool = False
    llm_summary_url: str = "https://api.openai.com/v1"
    llm_summary_model: str = "gpt-4.1-mini"
    llm_summary_api_key: SecretStr | None = None
    llm_summary_timeout_s: float = Field(default=20.0, gt=0)


#: What signalroom can write to a Lead: record signals and analyzer results (docs/destinations.md).
SALESFORCE_SOURCES = (
    "team_size",
    "industry",
    "monthly_volume",
    "urgency",
    "integration_needs",
    "grade",
    "score",
    "qualified",
    "outcome",
)
_SF_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"


def _default_salesforce_map() -> dict[str, str]:
    return {
        "team_size": "NumberOfEmployees",
        "industry": "Industry",
        "monthly_volume": "Signalroom_Volume__c",
        "urgency": "Signalroom_Urgency__c",
        "integration_needs": "Signalroom_Integrations__c",
        "grade": "Signalroom_Grade__c",
        "score": "Signalroom_Score__c",
        "outcome": "Signalroom_Outcome__c",
    }


class SalesforceSettings(_Section):
    """A Lead per booking email and a Task per call (docs/destinations.md#salesforce).

    Auth: ``instance_url`` + ``session_id`` (an OAuth access token), or ``username`` +
    ``password`` + ``security_token`` (SOAP login against ``domain``: login or test).
    """

    instance_url: str | None = None
    session_id: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    domain: str = "login"
    api_version: str = "59.0"
    timeout_s: float = Field(default=10.0, gt=0)
    #: CA bundle for TLS verification (a corporate proxy, or a local stand-in in tests).
    ca_bundle: Path | None = None
    #: Signal or result name → Lead field API name. Keys left out are not synced.
    field_map: dict[str, Annotated[str, Field(pattern=_SF_NAME)]] = Field(
        default_factory=_default_salesforce_map
    )
    #: Long text field on Lead holding what signalroom last wrote (the overwrite rule).
    sync_field: str = Field(default="Signalroom_Last_Sync__c", pattern=_SF_NAME)
    #: External ID (unique) text field on Task holding the record_id: makes the Task idempotent.
    task_record_id_field: str = Field(default="Signalroom_Record_Id__c", pattern=_SF_NAME)
    lead_source: str = "Signalroom voice agent"
    #: Company is required on a new Lead; the call rarely says it.
    company_placeholder: str = "[not provided]"

    @field_validator("field_map")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SALESFORCE_SOURCES))
        if unknown:
            raise ValueError(
                f"unknown field_map keys {unknown}; known: {', '.join(SALESFORCE_SOURCES)}"
            )
        return value

    @model_validator(mode="after")
    def _has_auth(self) -> SalesforceSettings:
        direct = self.instance_url is not None and self.session_id is not None
        password = None not in (self.username, self.password, self.security_token)
        if not (direct or password):
            raise ValueError(
                "salesforce needs instance_url + session_id, "
                "or username + password + security_token"
            )
        return self


class AmplitudeSettings(_Section):
    """One "Sales Call Completed" event per record (docs/destinations.md#amplitude)."""

    api_key: SecretStr
    #: HTTP V2 endpoint; the EU data center is https://api.eu.amplitude.com/2/httpapi.
    server_url: str = "https://api2.amplitude.com/2/httpapi"
    event_type: str = "Sales Call Completed"
    #: How long a batch may take to be confirmed before it counts as failed (retryable).
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=1, le=12)


class WebhookSettings(_Section):
    """A signed POST per analyzed session (Standard Webhooks; docs/webhook-receiver.md)."""

    url: str = Field(pattern=r"^https?://")
    #: ``whsec_`` + base64 secret shared with the receiver.
    secret: SecretStr
    #: Short name for delivery rows and logs; defaults to the URL's host.
    name: str | None = None
    #: Send the full record (may hold personal data) instead of a summary without identity.
    include_record: bool = False
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)


class DestinationSettings(_Section):
    salesforce: SalesforceSettings | None = None
    amplitude: AmplitudeSettings | None = None
    webhooks: list[WebhookSettings] = Field(default_factory=list)


class PrivacySettings(_Section):
    """Per-field policy: keep, redact or hash (keyed with ``hash_key``)."""

    transcript: Literal["keep", "redact", "hash", "drop"] = "redact"
    notes: Literal["keep", "redact", "hash"] = "redact"
    tool_queries: Literal["keep", "redact", "hash"] = "redact"
    booking_email: Literal["keep", "redact", "hash"] = "keep"
    booking_name: Literal["keep", "redact", "hash"] = "keep"
    participant_identity: Literal["keep", "redact", "hash"] = "hash"
    hash_key: SecretStr | None = None
    retention_days: int | None = None


class DashboardSettings(_Section):
    host: str = "127.0.0.1"
    port: int = 8765
    token: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIGNALROOM_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    home: Path = DEFAULT_HOME
    queue_url: str | None = None
    warehouse_url: str | None = None

    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    signals: SignalsSettings = Field(default_factory=SignalsSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    booking: BookingSettings = Field(default_factory=BookingSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    analyzers: AnalyzerSettings = Field(default_factory=AnalyzerSettings)
    destinations: DestinationSettings = Field(default_factory=DestinationSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = Path(os.environ.get("SIGNALROOM_HOME", str(DEFAULT_HOME)))
        toml_path = _CONFIG_PATH_OVERRIDE.get("path") or home / CONFIG_FILE
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    # Derived locations of the embedded parts.
    @property
    def outbox_path(self) -> Path:
        return self.outbox.path or self.home / "outbox.sqlite"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"spool://{(self.home / 'spool').resolve()}"

    @property
    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb://{(self.home / 'warehouse.duckdb').resolve()}"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


_CONFIG_PATH_OVERRIDE: dict[str, Path] = {}


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Settings for ``home`` (or ``$SIGNALROOM_HOME``, or ``./.signalroom``).

    ``overrides`` are explicit command-line values; ``None`` values are ignored so an option
    that was not given never hides the file or the environment.
    """
    home = home or Path(os.environ.get("SIGNALROOM_HOME", str(DEFAULT_HOME)))
    _CONFIG_PATH_OVERRIDE["path"] = home / CONFIG_FILE
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(home=home, **given)
    except ValueError as exc:
        raise ConfigError(
            f"configuration is invalid: {exc}".splitlines()[0] + " " + _first_error(exc),
            hint=f"check {home / CONFIG_FILE} and SIGNALROOM_* variables",
        ) from None
    finally:
        _CONFIG_PATH_OVERRIDE.clear()


def _first_error(exc: ValueError) -> str:
    lines = str(exc).splitlines()
    return " ".join(line.strip() for line in lines[1:3])


def save_settings(home: Path, values: dict[str, Any]) -> Path:
    """Merge top-level ``values`` into ``HOME/signalroom.toml`` (tomlkit keeps comments)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG_FILE
    doc = tomlkit.parse(path.read_text()) if path.exists() else tomlkit.document()
    for key, value in values.items():
        if value is not None:
            doc[key] = value
    path.write_text(tomlkit.dumps(doc))
    return path
