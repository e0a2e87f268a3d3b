"""Records for reliability tests: the seed example with a unique session and chosen contents."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signalroom.record import SessionRecord

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "seed-example-record.json").read_text()
)


def make_record(
    session: str | None = None,
    *,
    email: str | None = "john@acme.com",
    start: datetime | None = None,
    revision: int = 0,
    complete: bool = True,
    **extra: Any,
) -> SessionRecord:
    """The seed record; ``email`` replaces the booking email (None drops the booking call)."""
    data = json.loads(json.dumps(SEED))
    calls = [c for c in data["tool_calls"] if c["tool"] != "book_sales_meeting" or email]
    for call in calls:
        if call["tool"] == "book_sales_meeting":
            call["customer_email"] = email
    data.update(
        session_id=session or f"room_{uuid.uuid4().hex[:12]}",
        start_time=(start or datetime(2025, 1, 28, 10, 30, tzinfo=UTC)).isoformat(),
        revision=revision,
        complete=complete,
        tool_calls=calls,
        **extra,
    )
    return SessionRecord.model_validate(data)
