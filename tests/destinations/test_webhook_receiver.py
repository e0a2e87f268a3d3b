"""The documented receiver (examples/webhook_receiver.py), run as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult
from signalroom.destinations.webhook import WebhookDestination, WebhookSettings
from signalroom.errors import DestinationRejectedError
from signalroom.record import SessionRecord
from tests.destinations.webhook_server import SECRET

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"


@dataclass
class Receiver:
    url: str
    out: Path
    proc: subprocess.Popen[str]

    def events(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    out = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", "0", "--out", str(out)],
        env={**os.environ, "WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the receiver prints its address once it listens
        assert line.startswith("listening on "), line
        yield Receiver(line.split()[-1] + "/hooks", out, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def analyzed(seed: dict[str, Any]) -> AnalyzedSession:
    record = SessionRecord.model_validate(seed)
    lead = AnalyzerResult("lead_score", "1", {"grade": "A", "score": 90.0})
    return AnalyzedSession(record=record, results={"lead_score": lead})


def signed(body: str, msg_id: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, at, body),
    }


async def test_verified_event_is_handled_once(
    receiver: Receiver, seed_record_dict: dict[str, Any]
) -> None:
    dest = WebhookDestination(WebhookSettings(url=receiver.url, secret=SecretStr(SECRET)))
    session = analyzed(seed_record_dict)
    await dest.write([session])
    await dest.write([session])  # a redelivery: same webhook-id, fresh timestamp
    await dest.close()
    (event,) = receiver.events()
    assert event["data"]["record_id"] == session.record_id
    assert event["data"]["analysis"]["lead_score"]["result"]["grade"] == "A"


def test_replayed_request_is_not_processed_again(receiver: Receiver) -> None:
    body = json.dumps({"type": "signalroom.session.analyzed", "data": {"record_id": "r1"}})
    headers = signed(body, "r1.0", datetime.now(UTC))
    first = httpx.post(receiver.url, content=body, headers=headers)
    replay = httpx.post(receiver.url, content=body, headers=headers)
    assert (first.status_code, first.json()) == (200, {"status": "ok"})
    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert len(receiver.events()) == 1


def test_tampered_or_unsigned_requests_get_401(receiver: Receiver) -> None:
    body = json.dumps({"data": {"record_id": "r2"}})
    headers = signed(body, "r2.0", datetime.now(UTC))
    tampered = httpx.post(receiver.url, content=body.replace("r2", "r3"), headers=headers)
    assert tampered.status_code == 401
    unsigned = httpx.post(receiver.url, content=body, headers={"webhook-id": "r2.0"})
    assert unsigned.status_code == 401
    garbled = {**headers, "webhook-signature": "garbage"}
    assert httpx.post(receiver.url, content=body, headers=garbled).status_code == 401
    assert receiver.events() == []


def test_stale_or_future_timestamp_gets_400(receiver: Receiver) -> None:
    body = json.dumps({"data": {"record_id": "r4"}})
    for skew in (timedelta(minutes=-6), timedelta(minutes=6)):
        headers = signed(body, "r4.0", datetime.now(UTC) + skew)
        response = httpx.post(receiver.url, content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert "timestamp" in response.json()["error"]
    assert receiver.events() == []


async def test_destination_sees_receiver_refusal_as_rejection(
    receiver: Receiver, seed_record_dict: dict[str, Any]
) -> None:
    wrong = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    dest = WebhookDestination(WebhookSettings(url=receiver.url, secret=SecretStr(wrong)))
    with pytest.raises(DestinationRejectedError, match="HTTP 401"):
        await dest.write([analyzed(seed_record_dict)])
    assert receiver.events() == []


def test_missing_secret_exits_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "WEBHOOK_SECRET"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 2
    assert "WEBHOOK_SECRET" in done.stderr
