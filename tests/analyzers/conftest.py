from __future__ import annotations

from typing import Any

import pytest

from signalroom.record import SessionRecord, decode_record


@pytest.fixture
def seed(seed_record_dict: dict[str, Any]) -> SessionRecord:
    return decode_record(seed_record_dict)


def with_transcript(record: SessionRecord, user: list[str], agent: str = "I see.") -> SessionRecord:
    items: list[dict[str, Any]] = []
    for i, text in enumerate(user):
        items.append({"role": "user", "text": text, "turn_index": i})
        items.append({"role": "assistant", "text": agent, "turn_index": i})
    data = record.model_dump()
    data["transcript"] = items
    data["user_turns"] = len(user)
    data["agent_turns"] = len(user)
    return SessionRecord.model_validate(data)
