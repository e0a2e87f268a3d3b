"""The Cal.com backend against a local server that checks the documented v2 request."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from signalroom.booking import (
    BookingAuthError,
    BookingBackend,
    BookingError,
    BookingRefused,
    BookingRequest,
    BookingUnavailable,
    CalComBookingBackend,
    build_booking_backend,
)
from signalroom.config import BookingSettings
from signalroom.errors import ConfigError
from tests.booking.contract import BookingContract
from tests.knowledge.stub_api import StubApi

API_KEY = "cal_live_0123456789abcdef"
START = datetime(2025, 6, 12, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))


def created(
    start: str = "2025-06-12T09:00:00.000Z", end: str = "2025-06-12T09:30:00.000Z"
) -> dict[str, Any]:
    """A 201 body shaped like Cal.com's documented BookingOutput_2024_08_13."""
    return {
        "status": "success",
        "data": {
            "id": 8611835,
            "uid": "7QKvmLq1NgQPYvsGRNYFXw",
            "title": "Intro call between Quillflow Sales and Maria Rossi",
            "status": "accepted",
            "start": start,
            "end": end,
            "duration": 30,
            "eventTypeId": 42,
            "eventType": {"id": 42, "slug": "intro-call"},
            "meetingUrl": "https://app.cal.com/video/7QKvmLq1NgQPYvsGRNYFXw",
            "location": "https://app.cal.com/video/7QKvmLq1NgQPYvsGRNYFXw",
            "attendees": [
                {
                    "name": "Maria Rossi",
                    "email": "maria@acme.it",
                    "timeZone": "Europe/Rome",
                    "language": "en",
                    "absent": False,
                }
            ],
            "metadata": {"source": "signalroom"},
        },
    }


def backend(api: StubApi, **settings: Any) -> CalComBookingBackend:
    built = build_booking_backend(
        BookingSettings(
            backend="calcom", url=api.url, api_key=SecretStr(API_KEY), event_type_id=42, **settings
        ),
        Path("unused"),
    )
    assert isinstance(built, CalComBookingBackend)
    return built


def request(notes: str | None = "Wants a HIPAA BAA") -> BookingRequest:
    return BookingRequest("Maria Rossi", "maria@acme.it", START, "Europe/Rome", notes)


async def test_documented_request_shape_and_answer(stub_api: StubApi) -> None:
    stub_api.answer(201, created())
    calcom = backend(stub_api)

    booking = await calcom.book(request())

    [sent] = stub_api.requests
    assert (sent.method, sent.path) == ("POST", "/v2/bookings")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["cal-api-version"] == "2024-08-13"
    assert sent.headers["content-type"] == "application/json"
    assert sent.body == {
        "start": "2025-06-12T09:00:00Z",  # 11:00 in Rome, sent in UTC as documented
        "eventTypeId": 42,
        "attendee": {
            "name": "Maria Rossi",
            "email": "maria@acme.it",
            "timeZone": "Europe/Rome",
            "language": "en",
        },
        "bookingFieldsResponses": {"notes": "Wants a HIPAA BAA"},
        "metadata": {"source": "signalroom"},
    }

    assert booking.backend == "calcom"
    assert booking.booking_id == "7QKvmLq1NgQPYvsGRNYFXw"
    assert booking.start == START and booking.end == START + timedelta(minutes=30)
    assert str(booking.start.tzinfo) == "Europe/Rome"
    assert booking.join_url == "https://app.cal.com/video/7QKvmLq1NgQPYvsGRNYFXw"
    assert booking.ics_path is None
    await calcom.aclose()


async def test_no_notes_no_booking_fields(stub_api: StubApi) -> None:
    stub_api.answer(201, created())
    calcom = backend(stub_api, api_version="2024-09-04")
    await calcom.book(request(notes=None))
    [sent] = stub_api.requests
    assert "bookingFieldsResponses" not in sent.body
    assert sent.headers["cal-api-version"] == "2024-09-04"
    await calcom.aclose()


async def test_taken_slot_is_refused_with_a_spoken_alternative(stub_api: StubApi) -> None:
    stub_api.answer(
        400,
        {
            "status": "error",
            "timestamp": "2025-06-11T13:30:00.000Z",
            "path": "/v2/bookings",
            "error": {
                "code": "BadRequestException",
                "message": "User either already has booking at this time or is not available",
            },
        },
    )
    calcom = backend(stub_api)
    with pytest.raises(BookingRefused) as caught:
        await calcom.book(request())
    assert "already has booking" in str(caught.value)
    assert "isn't free" in caught.value.spoken
    assert caught.value.retryable is False
    await calcom.aclose()


async def test_other_client_errors_are_refused_with_the_message(stub_api: StubApi) -> None:
    stub_api.answer(
        404,
        {
            "status": "error",
            "error": {"code": "NotFoundException", "message": "Event type with id=42 not found"},
        },
    )
    calcom = backend(stub_api)
    with pytest.raises(BookingRefused, match="Event type with id=42 not found") as caught:
        await calcom.book(request())
    assert "different one" in caught.value.spoken
    await calcom.aclose()


async def test_wrong_api_key(stub_api: StubApi) -> None:
    stub_api.answer(
        401,
        {
            "status": "error",
            "error": {"code": "UnauthorizedException", "message": "Invalid API Key"},
        },
    )
    calcom = backend(stub_api)
    with pytest.raises(BookingAuthError, match="refused the API key") as caught:
        await calcom.book(request())
    assert caught.value.retryable is False
    assert API_KEY not in str(caught.value)
    await calcom.aclose()


@pytest.mark.parametrize("status", [500, 502, 429])
async def test_server_trouble_is_retryable(stub_api: StubApi, status: int) -> None:
    stub_api.answer(status, "upstream error")
    calcom = backend(stub_api)
    with pytest.raises(BookingUnavailable) as caught:
        await calcom.book(request())
    assert caught.value.retryable is True
    assert caught.value.spoken
    await calcom.aclose()


async def test_timeout_is_retryable(stub_api: StubApi) -> None:
    stub_api.answer(201, created(), delay_s=1.0)
    calcom = backend(stub_api, timeout_s=0.2)
    with pytest.raises(BookingUnavailable, match="timed out"):
        await calcom.book(request())
    await calcom.aclose()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "error", "data": {}},
        {"status": "success", "data": {"uid": "x", "start": "2025-06-12T09:00:00"}},
        "not json",
    ],
)
async def test_unexpected_success_bodies_are_errors(stub_api: StubApi, body: object) -> None:
    stub_api.answer(201, body)
    calcom = backend(stub_api)
    with pytest.raises(BookingError, match="unexpected body"):
        await calcom.book(request())
    await calcom.aclose()


def test_calcom_needs_a_key_and_an_event_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build_booking_backend(BookingSettings(backend="calcom"), tmp_path)
    assert "SIGNALROOM_BOOKING__API_KEY" in str(caught.value)
    assert "SIGNALROOM_BOOKING__EVENT_TYPE_ID" in str(caught.value)
    with pytest.raises(ConfigError, match="EVENT_TYPE_ID"):
        build_booking_backend(
            BookingSettings(backend="calcom", api_key=SecretStr(API_KEY)), tmp_path
        )


class TestCalComBookingContract(BookingContract):
    """Cal.com keeps its own bookings: erasure is refused with where to do it."""

    erasable = False

    @pytest.fixture(autouse=True)
    def _api(self, stub_api: StubApi) -> None:
        self.api = stub_api

    async def make_backend(self) -> BookingBackend:
        return backend(self.api)

    def expect_booking(self, req: BookingRequest) -> None:
        start = req.start.astimezone(ZoneInfo("UTC"))
        end = start + timedelta(minutes=30)
        self.api.answer(
            201, created(f"{start:%Y-%m-%dT%H:%M:%S}.000Z", f"{end:%Y-%m-%dT%H:%M:%S}.000Z")
        )

    def expect_check(self) -> None:
        self.api.answer(200, {"status": "success", "data": {"id": 7, "email": "sales@acme.it"}})

    async def test_check_uses_the_api_key_on_v2_me(self, stub_api: StubApi) -> None:
        self.expect_check()
        built = backend(stub_api)
        await built.check()
        seen = stub_api.requests[-1]
        assert (seen.method, seen.path) == ("GET", "/v2/me")
        assert seen.headers["authorization"] == f"Bearer {API_KEY}"
        await built.close()
