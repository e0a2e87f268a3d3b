"""Webhooks: a signed JSON POST per analyzed session to each configured URL.

Signing follows Standard Webhooks (the ``standardwebhooks`` package computes the signature):
headers ``webhook-id`` (``<record_id>.<revision>``, the same on every retry so receivers can
deduplicate), ``webhook-timestamp`` (seconds, fresh per attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256>``). httpx sends; tenacity retries timeouts, connection errors, 429
and 5xx a bounded number of times; any other 4xx means the receiver refused the payload and
is not retried. The body::

    {"type": "signalroom.session.analyzed", "timestamp": "...",
     "data": {"record_id", "revision", "session_id", "complete",
              "summary" | "record", "analysis": {name: {"version", "result"}}}}

The summary carries no personal data (no email, name, transcript or notes); set
``include_record`` to send the whole record instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from standardwebhooks import Webhook
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.registry import BuildContext, DestinationBackend
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.http_status import Failure, error_text, failure

log = logging.getLogger("signalroom.destinations.webhook")


class WebhookSettings(BaseModel):
    """``[[destinations.webhooks]]``: a signed POST per analyzed session (Standard Webhooks)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    #: ``whsec_`` + base64 secret shared with the receiver.
    secret: SecretStr
    #: Short name for delivery rows and logs; defaults to the URL's host.
    name: str | None = None
    #: Send the full record (may hold personal data) instead of a summary without identity.
    include_record: bool = False
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, le=10)


EVENT_TYPE = "signalroom.session.analyzed"
#: Sessions of one batch posted at once to one endpoint.
_PARALLEL = 4


class _Retryable(Exception):
    """A failure worth another attempt (timeout, connection, 429, 5xx)."""


def webhook_id(session: AnalyzedSession) -> str:
    return f"{session.record.record_id}.{session.record.revision}"


def summary(session: AnalyzedSession) -> dict[str, Any]:
    """The record without identity: what most receivers need."""
    rec = session.record
    return {
        "session_id": rec.session_id,
        "agent_name": rec.agent_name,
        "start_time": rec.start_time.isoformat(),
        "end_time": rec.end_time.isoformat() if rec.end_time else None,
        "duration_seconds": rec.duration_seconds,
        "close_reason": rec.close_reason,
        "signals": rec.discovered_signals.model_dump(mode="json"),
        "tool_calls": [
            {"tool": c.tool, "success": c.success, "results_found": c.results_found}
            for c in rec.tool_calls
        ],
        "booked": any(c.customer_email and c.success for c in rec.tool_calls),
    }


def payload(session: AnalyzedSession, *, include_record: bool) -> dict[str, Any]:
    rec = session.record
    data: dict[str, Any] = {
        "record_id": rec.record_id,
        "revision": rec.revision,
        "session_id": rec.session_id,
        "complete": rec.complete,
    }
    if include_record:
        data["record"] = rec.model_dump(mode="json")
    else:
        data["summary"] = summary(session)
    data["analysis"] = {
        name: {"version": r.version, "result": r.result} for name, r in session.results.items()
    }
    return {"type": EVENT_TYPE, "timestamp": datetime.now(UTC).isoformat(), "data": data}


class _Endpoint:
    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.url = settings.url
        self.label = settings.name or urlparse(settings.url).netloc
        try:
            self.signer = Webhook(settings.secret.get_secret_value())
        except Exception:  # bad base64 or empty: say which endpoint, never the secret
            raise ConfigError(
                f"webhook {self.label}: secret is not a base64 Standard Webhooks secret",
                hint="use whsec_ followed by base64 (docs/webhook-receiver.md shows how to "
                "make one)",
            ) from None


class WebhookDestination(Destination):
    """POSTs each analyzed session, signed, to one endpoint (or to each of a list)."""

    required = False
    erase_hint = "the receiver keeps what it was sent: erase it there"

    def __init__(self, settings: WebhookSettings | Sequence[WebhookSettings]) -> None:
        super().__init__()
        many = list(settings) if isinstance(settings, Sequence) else [settings]
        if not many:
            raise ConfigError("webhook destination needs at least one endpoint")
        self.endpoints = [_Endpoint(s) for s in many]
        self.name = f"webhook:{self.endpoints[0].label}" if len(self.endpoints) == 1 else "webhook"
        self._client = httpx.AsyncClient(follow_redirects=False)

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        limit = asyncio.Semaphore(_PARALLEL)

        async def one(endpoint: _Endpoint, session: AnalyzedSession) -> None:
            async with limit:
                await self._deliver(endpoint, session)

        outcomes = await asyncio.gather(
            *(one(e, s) for e in self.endpoints for s in batch), return_exceptions=True
        )
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if not errors:
            return
        message = "; ".join(str(e) for e in errors[:5])
        if len(errors) > 5:
            message += f" (+{len(errors) - 5} more)"
        # Any retryable failure makes the batch retryable: receivers deduplicate on webhook-id.
        if all(isinstance(e, DestinationRejectedError) for e in errors):
            raise DestinationRejectedError(message)
        raise DestinationError(message)

    async def _deliver(self, endpoint: _Endpoint, session: AnalyzedSession) -> None:
        body = json.dumps(
            payload(session, include_record=endpoint.settings.include_record),
            separators=(",", ":"),
        )
        msg_id = webhook_id(session)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(endpoint.settings.max_attempts),
            # exponential backoff plus jitter, spelled the same in every tenacity release
            wait=wait_exponential(multiplier=0.2, max=5.0) + wait_random(0, 0.2),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._post(endpoint, msg_id, body)
        except _Retryable as exc:
            raise DestinationError(
                f"{endpoint.label}: {msg_id}: {exc} "
                f"(after {endpoint.settings.max_attempts} attempts)"
            ) from None

    async def _post(self, endpoint: _Endpoint, msg_id: str, body: str) -> None:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "signalroom-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": endpoint.signer.sign(msg_id, now, body),
        }
        try:
            response = await self._client.post(
                endpoint.url,
                content=body.encode(),
                headers=headers,
                timeout=endpoint.settings.timeout_s,
            )
        except httpx.TransportError as exc:  # timeouts, refused connections, protocol errors
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        snippet = error_text(response)
        if failure(status) is Failure.UNAVAILABLE:
            raise _Retryable(f"HTTP {status}: {snippet}")
        # A refused signature (401/403) or a 3xx/4xx: the same request would fail again.
        raise DestinationRejectedError(f"{endpoint.label}: {msg_id}: HTTP {status}: {snippet}")

    async def check(self) -> str:
        """Reachability only (any HTTP answer counts): a probe must not look like an event."""
        reached: list[str] = []
        for endpoint in self.endpoints:
            try:
                await self._client.head(endpoint.url, timeout=endpoint.settings.timeout_s)
            except httpx.TransportError as exc:
                raise DestinationError(f"{endpoint.label}: unreachable: {exc}") from None
            reached.append(endpoint.label)
        return "reachable: " + ", ".join(reached)

    async def close(self) -> None:
        await self._client.aclose()


def _build(settings: WebhookSettings, context: BuildContext) -> WebhookDestination:
    return WebhookDestination(settings)


BACKEND = DestinationBackend(settings=WebhookSettings, build=_build, many=True)
