"""AmplitudeDestination with the real SDK pointed at a local capture server."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from signalroom.destinations.amplitude import AmplitudeDestination, AmplitudeSettings
from signalroom.destinations.base import AnalyzedSession, AnalyzerResult
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.privacy import keyed_hash
from signalroom.record import SessionRecord
from tests.destinations.amplitude_capture import API_KEY, AmplitudeCapture

KEY = b"test-hash-key"


@pytest.fixture
def capture() -> Iterator[AmplitudeCapture]:
    server = AmplitudeCapture()
    yield server
    server.close()


@pytest.fixture
async def dest(capture: AmplitudeCapture) -> AsyncIterator[AmplitudeDestination]:
    destination = make(capture.url)
    yield destination
    await destination.close()


def make(url: str, api_key: str = API_KEY, **extra: Any) -> AmplitudeDestination:
    settings = AmplitudeSettings(
        api_key=SecretStr(api_key), server_url=url, timeout_s=extra.pop("timeout_s", 5), **extra
    )
    return AmplitudeDestination(settings, hash_key=KEY)


def analyzed(seed: dict[str, Any], **changes: Any) -> AnalyzedSession:
    record = SessionRecord.model_validate({**json.loads(json.dumps(seed)), **changes})
    results = {
        "lead_score": AnalyzerResult(
            "lead_score", "1", {"score": 72.5, "grade": "B", "qualified": True}
        ),
        "outcome": AnalyzerResult("outcome", "1", {"outcome": "booked", "summary": "ok"}),
        "cost": AnalyzerResult("cost", "1", {"total_usd": 0.0123, "by_model": []}),
    }
    return AnalyzedSession(record=record, results=results)


async def test_event_shape_and_keyed_identity(
    capture: AmplitudeCapture, dest: AmplitudeDestination, seed_record_dict: dict[str, Any]
) -> None:
    session = analyzed(seed_record_dict)
    await dest.write([session])

    (body,) = capture.bodies
    assert body["api_key"] == API_KEY
    (event,) = body["events"]
    assert event["event_type"] == "Sales Call Completed"
    assert event["insert_id"] == session.record_id
    assert event["user_id"] == keyed_hash("john@acme.com", KEY)
    assert "device_id" not in event
    assert event["time"] == 1738060530000  # end_time 2025-01-28T10:35:30Z
    props = event["event_properties"]
    assert props["grade"] == "B" and props["score"] == 72.5 and props["outcome"] == "booked"
    assert props["industry"] == "legal" and props["urgency"] == "high"
    assert props["team_size"] == 8 and props["monthly_volume"] == 200
    assert props["integrations"] == ["salesforce", "api"]
    assert props["duration_seconds"] == 330.0 and props["cost_usd"] == 0.0123
    assert props["tool_calls"] == 2 and props["knowledge_searches"] == 1
    assert props["booking_attempts"] == 1
    raw = capture.raw[0].decode()
    assert "john@acme.com" not in raw and "John Smith" not in raw


async def test_without_email_device_id_is_keyed_session_hash(
    capture: AmplitudeCapture, dest: AmplitudeDestination, seed_record_dict: dict[str, Any]
) -> None:
    seed = json.loads(json.dumps(seed_record_dict))
    seed["tool_calls"] = seed["tool_calls"][:1]
    await dest.write([analyzed(seed)])
    (event,) = capture.events
    assert event["device_id"] == keyed_hash("room_abc123", KEY)
    assert "user_id" not in event


async def test_batch_and_redelivery_keep_insert_ids(
    capture: AmplitudeCapture, dest: AmplitudeDestination, seed_record_dict: dict[str, Any]
) -> None:
    batch = [analyzed(seed_record_dict, session_id=f"room_{i}") for i in range(5)]
    await dest.write(batch)
    await dest.write(batch[:2])
    ids = [e["insert_id"] for e in capture.events]
    assert len(ids) == 7
    assert set(ids) == {s.record_id for s in batch}  # Amplitude drops the repeated insert_ids


async def test_incomplete_checkpoint_is_not_sent(
    capture: AmplitudeCapture, dest: AmplitudeDestination, seed_record_dict: dict[str, Any]
) -> None:
    checkpoint = analyzed(seed_record_dict, complete=False, revision=1)
    await dest.write([checkpoint])
    assert capture.bodies == []
    assert dest.last_skipped == {checkpoint.record_id: "not complete yet"}


async def test_transient_5xx_is_retried_before_returning(
    capture: AmplitudeCapture, dest: AmplitudeDestination, seed_record_dict: dict[str, Any]
) -> None:
    capture.statuses = [503]
    await dest.write([analyzed(seed_record_dict)])
    assert len(capture.bodies) == 2
    assert (
        capture.bodies[0]["events"][0]["insert_id"] == capture.bodies[1]["events"][0]["insert_id"]
    )


async def test_persistent_5xx_is_retryable_error(
    capture: AmplitudeCapture, seed_record_dict: dict[str, Any]
) -> None:
    capture.statuses = [500] * 10
    dest = make(capture.url, max_retries=2)
    try:
        with pytest.raises(DestinationError) as info:
            await dest.write([analyzed(seed_record_dict)])
        assert info.value.retryable is True
        assert "HTTP 500" in str(info.value)
        assert len(capture.bodies) == 2
    finally:
        await dest.close()


async def test_refused_api_key_is_rejected(
    capture: AmplitudeCapture, seed_record_dict: dict[str, Any]
) -> None:
    dest = make(capture.url, api_key="wrong-key")
    try:
        with pytest.raises(DestinationRejectedError) as info:
            await dest.write([analyzed(seed_record_dict)])
        assert info.value.retryable is False
        assert "wrong-key" not in str(info.value)
        with pytest.raises(DestinationRejectedError):
            await dest.check()
    finally:
        await dest.close()


async def test_unreachable_server_times_out_retryable(seed_record_dict: dict[str, Any]) -> None:
    dest = make("http://127.0.0.1:9/2/httpapi", timeout_s=1.0, max_retries=12)
    try:
        with pytest.raises(DestinationError) as info:
            await dest.write([analyzed(seed_record_dict)])
        assert info.value.retryable is True
    finally:
        await dest.close()


async def test_check_ok(capture: AmplitudeCapture, dest: AmplitudeDestination) -> None:
    assert "reachable" in await dest.check()


def test_needs_hash_key_and_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = AmplitudeSettings(api_key=SecretStr("k"))
    with pytest.raises(ConfigError, match="hash key"):
        AmplitudeDestination(settings)
    monkeypatch.setitem(sys.modules, "amplitude", None)
    with pytest.raises(ConfigError) as info:
        AmplitudeDestination(settings, hash_key=KEY)
    assert info.value.hint and "signalroom[amplitude]" in info.value.hint
