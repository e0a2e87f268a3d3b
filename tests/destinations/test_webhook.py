"""WebhookDestination against local endpoints that verify Standard Webhooks signatures."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from signalroom.config import WebhookSettings
from signalroom.destinations.base import AnalyzedSession, AnalyzerResult
from signalroom.destinations.webhook import EVENT_TYPE, WebhookDestination
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.record import SessionRecord
from tests.destinations.webhook_server import SECRET, WebhookEndpoint


@pytest.fixture
def endpoint() -> Iterator[WebhookEndpoint]:
    server = WebhookEndpoint()
    yield server
    server.close()


def analyzed(seed: dict[str, Any], revision: int = 3) -> AnalyzedSession:
    record = SessionRecord.model_validate({**seed, "revision": revision})
    results = {
        "lead_score": AnalyzerResult("lead_score", "1", {"score": 81.0, "grade": "B"}),
        "outcome": AnalyzerResult("outcome", "2", {"outcome": "booked", "summary": "Booked."}),
    }
    return AnalyzedSession(record=record, results=results)


def settings(url: str, **extra: Any) -> WebhookSettings:
    return WebhookSettings(url=url, secret=SecretStr(SECRET), timeout_s=30, **extra)


async def test_signed_summary_without_personal_data(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    dest = WebhookDestination(settings(endpoint.url))
    session = analyzed(seed_record_dict)
    await dest.write([session])
    await dest.close()

    (got,) = endpoint.received
    assert got.error is None, got.error
    assert got.headers["webhook-id"] == f"{session.record_id}.3"
    assert got.headers["webhook-signature"].startswith("v1,")
    event = got.verified
    assert event is not None
    assert event["type"] == EVENT_TYPE
    data = event["data"]
    assert data["record_id"] == session.record_id and data["revision"] == 3
    assert "record" not in data
    assert data["summary"]["signals"]["industry"] == "legal"
    assert data["summary"]["booked"] is True
    assert data["analysis"]["lead_score"] == {
        "version": "1",
        "result": {"score": 81.0, "grade": "B"},
    }
    assert b"john@acme.com" not in got.body and b"John Smith" not in got.body
    assert dest.name == f"webhook:127.0.0.1:{endpoint.server.server_port}"


async def test_include_record_sends_the_whole_record(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    dest = WebhookDestination(settings(endpoint.url, include_record=True))
    session = analyzed(seed_record_dict)
    await dest.write([session])
    (got,) = endpoint.received
    assert got.verified is not None
    assert got.verified["data"]["record"] == json.loads(session.record.to_json())


async def test_5xx_is_retried_with_the_same_id(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    endpoint.statuses = [503, 500]
    dest = WebhookDestination(settings(endpoint.url))
    await dest.write([analyzed(seed_record_dict)])
    assert len(endpoint.received) == 3
    assert len({r.headers["webhook-id"] for r in endpoint.received}) == 1
    assert all(r.error is None for r in endpoint.received)


async def test_persistent_5xx_is_retryable_and_bounded(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    endpoint.statuses = [502] * 10
    dest = WebhookDestination(settings(endpoint.url, max_attempts=2))
    with pytest.raises(DestinationError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert info.value.retryable is True
    assert "HTTP 502" in str(info.value)
    assert len(endpoint.received) == 2


async def test_4xx_is_rejected_without_retry(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    endpoint.statuses = [422]
    dest = WebhookDestination(settings(endpoint.url))
    with pytest.raises(DestinationRejectedError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert info.value.retryable is False
    assert "HTTP 422" in str(info.value)
    assert len(endpoint.received) == 1


async def test_wrong_secret_is_refused_by_the_receiver(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    dest = WebhookDestination(WebhookSettings(url=endpoint.url, secret=SecretStr(other)))
    with pytest.raises(DestinationRejectedError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert endpoint.received[0].error == "No matching signature found"
    assert other not in str(info.value)


async def test_timeout_is_retried_then_retryable(
    endpoint: WebhookEndpoint, seed_record_dict: dict[str, Any]
) -> None:
    endpoint.delay_s = 0.5
    dest = WebhookDestination(
        WebhookSettings(url=endpoint.url, secret=SecretStr(SECRET), timeout_s=0.1, max_attempts=2)
    )
    with pytest.raises(DestinationError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert info.value.retryable is True
    assert "Timeout" in str(info.value)
    assert len(endpoint.received) == 2


async def test_each_endpoint_of_a_list_gets_every_session(seed_record_dict: dict[str, Any]) -> None:
    first, second = WebhookEndpoint(), WebhookEndpoint()
    try:
        dest = WebhookDestination([settings(first.url), settings(second.url)])
        assert dest.name == "webhook"
        batch = [analyzed(seed_record_dict, revision=r) for r in (1, 2)]
        await dest.write(batch)
        for server in (first, second):
            ids = sorted(r.headers["webhook-id"] for r in server.received)
            assert ids == sorted(f"{s.record_id}.{s.record.revision}" for s in batch)
            assert all(r.error is None for r in server.received)
    finally:
        first.close()
        second.close()


async def test_check_reachability(endpoint: WebhookEndpoint) -> None:
    assert "reachable" in await WebhookDestination(settings(endpoint.url)).check()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    dead = WebhookDestination(settings(f"http://127.0.0.1:{free_port}/"))
    with pytest.raises(DestinationError, match="unreachable"):
        await dead.check()


def test_bad_secret_and_url_are_config_errors() -> None:
    with pytest.raises(ConfigError) as info:
        WebhookDestination(
            WebhookSettings(url="https://example.com/h", secret=SecretStr("whsec_%%%"))
        )
    assert "example.com" in str(info.value)
    assert "%%%" not in str(info.value)
    with pytest.raises(ValidationError):
        WebhookSettings(url="ftp://example.com", secret=SecretStr(SECRET))
    with pytest.raises(ConfigError):
        WebhookDestination([])


def test_destination_sections_load_typed_from_toml(home: Any) -> None:
    from signalroom.config import load_settings

    (home / "signalroom.toml").write_text(
        """
[destinations.salesforce]
instance_url = "https://acme.my.salesforce.com"
session_id = "tok"

[destinations.salesforce.field_map]
grade = "Rating"

[destinations.amplitude]
api_key = "amp-key"

[[destinations.webhooks]]
url = "https://hooks.example.com/a"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
name = "crm"
"""
    )
    dests = load_settings(home).destinations
    assert dests.salesforce is not None and dests.salesforce.field_map == {"grade": "Rating"}
    assert dests.amplitude is not None and dests.amplitude.api_key.get_secret_value() == "amp-key"
    (hook,) = dests.webhooks
    assert WebhookDestination(hook).name == "webhook:crm"
    assert "whsec_" not in repr(dests)
