"""Records for outbox tests: the seed example with a unique session and a chosen revision."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signalroom.record import SessionRecord

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "seed-example-record.json").read_text()
)


def make_record(
    session: str | None = None, *, revision: int = 0, complete: bool = True, **extra: Any
) -> SessionRecord:
    data = {
        **SEED,
        "session_id": session or f"room_{uuid.uuid4().hex[:12]}",
        "start_time": datetime(2025, 1, 28, 10, 30, tzinfo=UTC).isoformat(),
        "revision": revision,
        "complete": complete,
        **extra,
    }
    return SessionRecord.model_validate(data)


def big_record(size: int) -> SessionRecord:
    """A record whose envelope stays large after gzip (random text compresses poorly)."""
    notes = [{"text": secrets.token_hex(1200)} for _ in range(max(1, size // 2400))]
    return make_record(conversation_notes=notes)
