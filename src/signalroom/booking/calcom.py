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

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self._api_key.get_secret_value()}",
            "cal-api-version": self._api_version,
        }
        try:
            response = await self._http().post(self._endpoint, json=body, headers=headers)
        except httpx.TimeoutException:
            raise BookingUnavailable(
                f"Cal.com at {self._endpoint} timed out after {self._timeout}s",
                spoken="Our calendar is slow to answer right now — let me try that again.",
            ) from None
        except httpx.HTTPError as exc:
            raise BookingUnavailable(f"Cal.com at {self._endpoint} is unreachable: {exc}") from None
        status = response.status_code
        if status in (401, 403):
            raise BookingAuthError(
                f"Cal.com refused the API key (HTTP {status}): {_error_message(response)}",
                hint="check booking.api_key (SIGNALROOM_BOOKING__API_KEY)",
            )
        if status == 429 or status >= 500:
            raise BookingUnavailable(
                f"Cal.com answered HTTP {status}: {_error_message(response)}; try again later"
            )
        if status >= 400:
            message = _error_message(response)
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


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if body.get("message"):
            return str(body["message"])
    return str(body)[:200]
