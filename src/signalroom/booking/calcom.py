"""Book through Cal.com's public API: ``POST /v2/bookings`` (API version 2024-08-13).

Request: ``Authorization: Bearer <api key>``, ``cal-api-version: 2024-08-13`` and::

    {"start": "2025-06-12T14:00:00Z", "eventTypeId": 123,
     "attendee": {"name": "...", "email": "...", "timeZone": "America/New_York",
                  "language": "en"},
     "bookingFieldsResponses": {"notes": "..."},       # only with notes
     "metadata": {"source": "signalroom"}}

Answer (201): ``{"status": "success", "data": {"uid", "start", "end", "meetingUrl" |
"location", ...}}``; errors: ``{"status": "error", "error": {"code", "message"}}``.
httpx does the HTTP; one client per event loop keeps the TLS connection warm.
"""

from __future__ import annotations

import asyncio
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from signalroom.booking.base import (
    Booking,
    BookingAuthError,
    BookingError,
    BookingRefused,
    BookingRequest,
    BookingUnavailable,
)
from signalroom.config import BookingSettings
from signalroom.errors import ConfigError
from signalroom.http_status import Failure, error_text, failure
from signalroom.privacy.subject import Subject
from signalroom.seam import Counts, NotErasable

_SLOT_TAKEN = ("already has booking", "not available", "no available users", "unavailable")


class CalComBookingBackend:
    name = "calcom"

    def __init__(
        self,
        *,
        api_key: SecretStr,
        event_type_id: int,
        url: str = "https://api.cal.com",
        api_version: str = "2024-08-13",
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._endpoint = url.rstrip("/") + "/v2/bookings"
        self._api_key = api_key
        self._event_type_id = event_type_id
        self._api_version = api_version
        self._timeout = timeout_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    async def book(self, request: BookingRequest) -> Booking:
        body: dict[str, Any] = {
            "start": request.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventTypeId": self._event_type_id,
            "attendee": {
                "name": request.name,
                "email": request.email,
                "timeZone": request.timezone,
                "language": "en",
            },
            "metadata": {"source": "signalroom"},
        }
        if request.notes:
            body["bookingFieldsResponses"] = {"notes": request.notes}
        response = await self._post(body)
        return self._booking(response, request)

    # -- the backend seam (signalroom.seam) -----------------------------------------------
    async def check(self) -> str:
        """``GET /v2/me`` with the API key: reachable and the key accepted."""
        try:
            response = await self._http().get(
                self._endpoint.removesuffix("/bookings") + "/me", headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise BookingUnavailable(f"Cal.com at {self._endpoint} is unreachable: {exc}") from None
        if failure(response.status_code) is not None:
            raise BookingAuthError(
                f"Cal.com answered HTTP {response.status_code}: {error_text(response)}",
                hint="check booking.api_key (SIGNALROOM_BOOKING__API_KEY)",
            )
        return f"Cal.com reachable, API key accepted (event type {self._event_type_id})"

    async def erase(self, subject: Subject) -> Counts:
        raise NotErasable("Cal.com keeps its own bookings: cancel or delete the person's there")

    async def count(self, subject: Subject) -> Counts:
        raise NotErasable("Cal.com keeps its own bookings: search for the person there")

    async def close(self) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http().post(self._endpoint, json=body, headers=self._headers())
        except httpx.TimeoutException:
            raise BookingUnavailable(
                f"Cal.com at {self._endpoint} timed out after {self._timeout}s",
                spoken="Our calendar is slow to answer right now — let me try that again.",
            ) from None
        except httpx.HTTPError as exc:
            raise BookingUnavailable(f"Cal.com at {self._endpoint} is unreachable: {exc}") from None
        status = response.status_code
        kind = failure(status)
        if kind is Failure.AUTH:
            raise BookingAuthError(
                f"Cal.com refused the API key (HTTP {status}): {error_text(response)}",
                hint="check booking.api_key (SIGNALROOM_BOOKING__API_KEY)",
            )
        if kind is Failure.UNAVAILABLE:
            raise BookingUnavailable(
                f"Cal.com answered HTTP {status}: {error_text(response)}; try again later"
            )
        if kind is Failure.REFUSED:
            message = error_text(response)
            taken = any(phrase in message.lower() for phrase in _SLOT_TAKEN)
            raise BookingRefused(
                f"Cal.com refused the booking (HTTP {status}): {message}",
                spoken="That time isn't free on our calendar — would another time work?"
                if taken
                else "I couldn't book that time — could we try a different one?",
            )
        return response

    def _booking(self, response: httpx.Response, request: BookingRequest) -> Booking:
        try:
            payload = response.json()
            if payload.get("status") != "success":
                raise ValueError(f"status is {payload.get('status')!r}")
            data = payload["data"]
            if isinstance(data, list):  # a recurring event type answers with every occurrence
                data = data[0]
            zone = zoneinfo.ZoneInfo(request.timezone)
            start = _instant(data["start"]).astimezone(zone)
            end = _instant(data["end"]).astimezone(zone)
            booking_id = str(data.get("uid") or data["id"])
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise BookingError(
                f"Cal.com answered with an unexpected body ({exc}): {response.text[:200]!r}"
            ) from None
        location = data.get("location")
        join_url = data.get("meetingUrl") or (
            location if isinstance(location, str) and location.startswith("http") else None
        )
        return Booking(
            booking_id=booking_id,
            name=request.name,
            email=request.email,
            start=start,
            end=end,
            timezone=request.timezone,
            backend=self.name,
            ics_path=None,
            join_url=join_url,
        )

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "cal-api-version": self._api_version,
        }

    def _http(self) -> httpx.AsyncClient:
        # An AsyncClient belongs to the loop it first ran on; tests and workers may use several.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
            self._client_loop = loop
        return self._client


def _instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"time {value!r} has no offset")
    return moment


def build(settings: BookingSettings, home: Path) -> CalComBookingBackend:
    """The backend for ``booking.backend = "calcom"``; a ConfigError names what is missing."""
    missing = [
        env
        for env, value in (
            ("SIGNALROOM_BOOKING__API_KEY", settings.api_key),
            ("SIGNALROOM_BOOKING__EVENT_TYPE_ID", settings.event_type_id),
        )
        if value is None
    ]
    if settings.api_key is None or settings.event_type_id is None:
        raise ConfigError(
            "booking.backend is 'calcom' but " + " and ".join(missing) + " is not set",
            hint="set them in the environment or in [booking] of signalroom.toml",
        )
    return CalComBookingBackend(
        api_key=settings.api_key,
        event_type_id=settings.event_type_id,
        url=settings.url,
        api_version=settings.api_version,
        timeout_s=settings.timeout_s,
    )
