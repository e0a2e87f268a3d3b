"""What the soak sends: synthetic sessions (a checkpoint, then the final record) and malformed
messages a consumer must refuse."""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from signalroom.record import (
    ConversationNote,
    DiscoveredSignals,
    MetricsSummary,
    SessionRecord,
    ToolCall,
)

_INDUSTRIES = ("legal", "healthcare", "finance", "education", "retail", "technology")


def synthetic_sessions(
    count: int, run_id: str, seed: int
) -> Iterator[tuple[SessionRecord, SessionRecord]]:
    """``count`` (checkpoint, final) pairs with varied signals, tools and lengths."""
    rng = random.Random(seed)
    base = datetime.now(UTC) - timedelta(hours=1)
    for i in range(count):
        start = base + timedelta(milliseconds=i * 50)
        duration = rng.uniform(30, 900)
        signals = DiscoveredSignals(
            team_size=rng.choice([None, rng.randint(1, 500)]),
            monthly_volume=rng.choice([None, float(rng.randint(10, 5000))]),
            integration_needs=rng.sample(
                ["salesforce", "hubspot", "api", "slack"], rng.randint(0, 2)
            ),
            urgency=rng.choice([None, "low", "medium", "high"]),
            industry=rng.choice([None, *_INDUSTRIES]),
        )
        tools = [
            ToolCall(
                tool="search_knowledge",
                query=f"question {j} about templates",
                timestamp=start + timedelta(seconds=10 * (j + 1)),
                results_found=True,
                total_results=rng.randint(0, 5),
            )
            for j in range(rng.randint(0, 3))
        ]
        common: dict[str, Any] = {
            "session_id": f"soak-{run_id}-{i:06d}",
            "start_time": start,
            "agent_name": "signalroom-soak",
            "discovered_signals": signals,
            "tool_calls": tools,
            "metrics_summary": MetricsSummary(llm_tokens=rng.randint(200, 6000)),
            "user_turns": rng.randint(1, 20),
        }
        checkpoint = SessionRecord(**common, revision=1, complete=False)
        final = SessionRecord(
            **common,
            revision=2,
            complete=True,
            end_time=start + timedelta(seconds=duration),
            duration_seconds=duration,
            close_reason="user_initiated",
            conversation_notes=[ConversationNote(text="wants a demo next week")],
        )
        yield checkpoint, final


def malformed_bodies(rng: random.Random, count: int) -> list[bytes]:
    """Messages a consumer must refuse: not JSON, not an envelope, bad record, unknown major."""
    kinds: list[Callable[[], bytes]] = [
        lambda: secrets.token_bytes(rng.randint(1, 400)),
        lambda: b'{"specversion":"1.0","id":"x","type":"signalroom.session.v1","data":{',
        lambda: json.dumps({"hello": "world"}).encode(),
        lambda: _envelope({"session_id": 42, "start_time": "yesterday"}),
        lambda: _envelope(
            {"schema_version": "9.0", "session_id": "s", "start_time": "2025-01-01T00:00:00"}
        ),
        lambda: b"[" * 5000 + b"]" * 5000,
        # Records that look valid but no store could hold: each must be dead-lettered alone.
        lambda: _envelope({**_PLAIN, "start_time": "0001-01-01T00:00:00+05:00"}),
        lambda: _envelope({**_PLAIN, "end_time": "9999-12-31T23:59:59-05:00"}),
        lambda: _envelope({**_PLAIN, "schema_version": rng.choice(["².0", "١.0", "𝟏.0"])}),
        lambda: _envelope({**_PLAIN, "added_later": "\udfff"}),  # a lone surrogate
        lambda: _envelope({**_PLAIN, "metadata": {"ratio": "@"}}).replace(b'"@"', b"NaN"),
        lambda: b"\xff\xfe" + _envelope(_PLAIN),
    ]
    return [rng.choice(kinds)() for _ in range(count)]


#: A record that is valid as it is; the malformed kinds above each change one thing.
_PLAIN: dict[str, Any] = {"session_id": "soak-plain", "start_time": "2025-01-01T00:00:00"}


def _envelope(data: dict[str, Any]) -> bytes:
    event = {"specversion": "1.0", "id": "m", "type": "signalroom.session.v1", "data": data}
    return json.dumps(event).encode()
