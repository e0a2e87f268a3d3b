"""Amplitude: one "Sales Call Completed" event per finished call, via ``amplitude-analytics``.

The SDK batches, sends over HTTP V2 and retries in its own threads; this module makes that
synchronous per batch: it tracks the events, calls ``flush()`` until every event's callback
has reported (success or final failure) or ``timeout_s`` passes, and only then returns.

Identity stays private: ``user_id`` is a keyed hash (HMAC-SHA256 with ``privacy.hash_key``,
:func:`signalroom.privacy.keyed_hash`) of the booking email; a call without an email gets
``device_id`` = keyed hash of its session id. The raw email never leaves this process.
``insert_id`` is the ``record_id``, so Amplitude drops redeliveries; for the same reason only
complete records are sent (a checkpoint would claim the insert_id of the final record).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.registry import BuildContext, DestinationBackend
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.privacy.hashing import PREFIX as HASH_PREFIX
from signalroom.privacy.hashing import keyed_hash

log = logging.getLogger("signalroom.destinations.amplitude")


class AmplitudeSettings(BaseModel):
    """``[destinations.amplitude]``: one "Sales Call Completed" event per record."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr
    #: HTTP V2 endpoint; the EU data center is https://api.eu.amplitude.com/2/httpapi.
    server_url: str = "https://api2.amplitude.com/2/httpapi"
    event_type: str = "Sales Call Completed"
    #: How long a batch may take to be confirmed before it counts as failed (retryable).
    timeout_s: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=1, le=12)


#: Amplitude answers these when the event itself is wrong; a retry cannot help.
_REJECTED_CODES = {400, 413}
_POLL_S = 0.05


def _require_sdk() -> Any:
    try:
        import amplitude
    except ImportError:
        raise ConfigError(
            "the Amplitude destination needs amplitude-analytics",
            hint="install the extra: pip install 'signalroom[amplitude]'",
        ) from None
    return amplitude


class _SdkLog(logging.Handler):
    """The SDK reports a refused API key only in its log; remember it and pass logs on."""

    def __init__(self) -> None:
        super().__init__()
        self.invalid_api_key = False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Invalid API Key" in message:
            self.invalid_api_key = True
        log.log(record.levelno if record.levelno >= logging.WARNING else logging.DEBUG, message)


def identity(session: AnalyzedSession, key: bytes) -> dict[str, str]:
    """``user_id`` from the booking email, else ``device_id`` from the session id; both keyed."""
    emails = [c.customer_email for c in session.record.tool_calls if c.customer_email]
    if emails:
        email = emails[-1]
        if email.startswith(HASH_PREFIX):  # already pseudonymised by the privacy policy
            return {"user_id": email}
        if "@" in email:
            return {"user_id": keyed_hash(email, key)}
    return {"device_id": keyed_hash(session.record.session_id, key)}


def event_properties(session: AnalyzedSession) -> dict[str, Any]:
    rec = session.record
    signals = rec.discovered_signals

    def result(name: str, key: str) -> Any:
        found = session.results.get(name)
        return found.result.get(key) if found else None

    tools = [c.tool for c in rec.tool_calls]
    props: dict[str, Any] = {
        "grade": result("lead_score", "grade"),
        "score": result("lead_score", "score"),
        "qualified": result("lead_score", "qualified"),
        "outcome": result("outcome", "outcome"),
        "industry": signals.industry,
        "urgency": signals.urgency,
        "team_size": signals.team_size,
        "monthly_volume": signals.monthly_volume,
        "integrations": list(signals.integration_needs),
        "duration_seconds": rec.duration_seconds,
        "cost_usd": result("cost", "total_usd"),
        "sentiment_mean": result("sentiment", "mean"),
        "user_turns": result("engagement", "user_turns") or rec.user_turns,
        "tool_calls": len(tools),
        "knowledge_searches": sum("search" in t for t in tools),
        "booking_attempts": sum(bool(c.customer_email) or "book" in c.tool for c in rec.tool_calls),
        "agent_name": rec.agent_name,
        "record_id": rec.record_id,
        "signalroom_session_id": rec.session_id,
    }
    return {k: v for k, v in props.items() if v is not None}


def _millis(when: datetime) -> int:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


class AmplitudeDestination(Destination):
    """Sends each complete record as one event and waits for Amplitude to confirm it."""

    name = "amplitude"
    required = False
    erase_hint = "use its user deletion API"

    def __init__(
        self, settings: AmplitudeSettings, hash_key: bytes | SecretStr | None = None
    ) -> None:
        super().__init__()
        if hash_key is None:
            raise ConfigError(
                "the Amplitude destination needs the privacy hash key to pseudonymise emails",
                hint="build it with hash_key=load_hash_key(settings.privacy.hash_key, "
                "settings.home) (signalroom.privacy); set privacy.hash_key to share it",
            )
        self._key = (
            hash_key.get_secret_value().encode() if isinstance(hash_key, SecretStr) else hash_key
        )
        self.settings = settings
        sdk = _require_sdk()
        self._sdk = sdk
        self._sdk_log = _SdkLog()
        sdk_logger = logging.Logger("signalroom.destinations.amplitude.sdk")
        sdk_logger.addHandler(self._sdk_log)
        config = sdk.Config(
            server_url=settings.server_url,
            flush_max_retries=settings.max_retries,
            # We flush explicitly; the SDK's own timer only picks up its retries.
            flush_interval_millis=1_000,
            logger=sdk_logger,
        )
        self._client = sdk.Amplitude(settings.api_key.get_secret_value(), configuration=config)
        self._lock = asyncio.Lock()
        #: record_id → why it was not sent, for the last batch.
        self.last_skipped: dict[str, str] = {}

    def build_event(
        self, session: AnalyzedSession, done: concurrent.futures.Future[tuple[int, str]]
    ) -> Any:
        rec = session.record

        def callback(_event: Any, code: int, message: str | None = None) -> None:
            if not done.done():
                done.set_result((code, message or ""))

        return self._sdk.BaseEvent(
            event_type=self.settings.event_type,
            insert_id=rec.record_id,
            time=_millis(rec.end_time or rec.start_time),
            event_properties=event_properties(session),
            callback=callback,
            **identity(session, self._key),
        )

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        async with self._lock:  # one batch in flight: callbacks and SDK log belong to it
            self.last_skipped = {}
            pending: dict[str, concurrent.futures.Future[tuple[int, str]]] = {}
            for session in batch:
                if not session.record.complete:
                    self.last_skipped[session.record_id] = "not complete yet"
                    continue
                if session.record_id in pending:
                    continue  # same insert_id twice in one batch: Amplitude keeps one
                done: concurrent.futures.Future[tuple[int, str]] = concurrent.futures.Future()
                pending[session.record_id] = done
                self._client.track(self.build_event(session, done))
            if pending:
                await asyncio.to_thread(self._confirm, pending)

    def _confirm(self, pending: dict[str, concurrent.futures.Future[tuple[int, str]]]) -> None:
        """Flush until every event has a final answer; runs in a worker thread."""
        self._sdk_log.invalid_api_key = False
        deadline = time.monotonic() + self.settings.timeout_s
        pause = _POLL_S
        while True:
            for sent in self._client.flush():
                if sent is not None:
                    try:
                        sent.result(timeout=max(0.0, deadline - time.monotonic()))
                    except concurrent.futures.TimeoutError:
                        break
            if self._sdk_log.invalid_api_key:
                raise DestinationRejectedError(
                    "amplitude: the API key was refused",
                    hint="check destinations.amplitude.api_key and server_url (EU projects "
                    "use https://api.eu.amplitude.com/2/httpapi)",
                )
            if all(f.done() for f in pending.values()):
                break
            if time.monotonic() >= deadline:
                waiting = [rid for rid, f in pending.items() if not f.done()]
                raise DestinationError(
                    f"amplitude: {len(waiting)} events unconfirmed after "
                    f"{self.settings.timeout_s:g}s (first {waiting[0]})"
                )
            # Retries wait in the SDK's buffer until the next flush: back off between flushes.
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 1.0)

        failed = {rid: f.result() for rid, f in pending.items() if f.result()[0] != 200}
        if not failed:
            return
        detail = "; ".join(
            f"{rid}: {f'HTTP {c}' if c > 0 else 'no answer (connection failed)'}: {m}"
            for rid, (c, m) in list(failed.items())[:5]
        )
        if all(code in _REJECTED_CODES for code, _ in failed.values()):
            raise DestinationRejectedError(f"amplitude refused events: {detail}")
        raise DestinationError(f"amplitude: events not accepted: {detail}")

    async def check(self) -> str:
        # Amplitude has no side-effect-free authenticated endpoint on the ingestion API;
        # an empty batch is refused without being stored, and a refused key says so.
        import httpx

        body = {"api_key": self.settings.api_key.get_secret_value(), "events": []}
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(self.settings.server_url, json=body)
        except httpx.TransportError as exc:
            raise DestinationError(f"amplitude: unreachable: {exc}") from None
        if "invalid api key" in response.text.lower():
            raise DestinationRejectedError("amplitude: the API key was refused")
        return f"reachable ({self.settings.server_url}, HTTP {response.status_code})"

    async def close(self) -> None:
        await asyncio.to_thread(self._client.shutdown)


def _build(settings: AmplitudeSettings, context: BuildContext) -> AmplitudeDestination:
    return AmplitudeDestination(settings, hash_key=context.hash_key)


BACKEND = DestinationBackend(settings=AmplitudeSettings, build=_build)
