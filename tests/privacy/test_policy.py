from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from signalroom.config import PrivacySettings
from signalroom.privacy import apply_privacy, keyed_hash, load_hash_key
from signalroom.record import (
    ConversationNote,
    SessionRecord,
    SignalEvidence,
    ToolCall,
    TranscriptItem,
)

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
KEY = b"k" * 32


def _record() -> SessionRecord:
    return SessionRecord(
        session_id="room-1",
        start_time=NOW,
        participant_identity="caller-jane",
        tool_calls=[
            ToolCall(tool="search_knowledge", timestamp=NOW, query="pricing for jane@acme.com"),
            ToolCall(
                tool="book_sales_meeting",
                timestamp=NOW,
                customer_name="Jane Doe",
                customer_email="jane@acme.com",
                success=True,
                arguments={"customer_email": "jane@acme.com", "customer_name": "Jane Doe"},
            ),
        ],
        transcript=[TranscriptItem(role="user", text="call me on 415-555-0132", turn_index=0)],
        conversation_notes=[ConversationNote(text="wants a call at 415-555-0132")],
        signal_evidence=[
            SignalEvidence(field="team_size", value=12, span="12 of us, 415-555-0132")
        ],
    )


def test_default_policy_redacts_text_and_keeps_booking_identity() -> None:
    out = apply_privacy(_record(), PrivacySettings(), KEY)
    dumped = out.model_dump_json()
    assert "415-555-0132" not in dumped
    assert out.transcript is not None and out.transcript[0].text == "call me on [PHONE]"
    assert out.tool_calls[0].query == "pricing for [EMAIL]"
    assert out.tool_calls[1].customer_email == "jane@acme.com"
    assert out.participant_identity == keyed_hash("caller-jane", KEY)
    assert out.redaction is not None and out.redaction["transcript"] == "redact"


def test_hash_policy_hides_email_everywhere_but_joins() -> None:
    policy = PrivacySettings(booking_email="hash", booking_name="redact", transcript="drop")
    out = apply_privacy(_record(), policy, KEY)
    dumped = out.model_dump_json()
    assert "jane@acme.com" not in dumped and "Jane Doe" not in dumped
    assert out.tool_calls[1].customer_email == keyed_hash("JANE@acme.com ", KEY)
    assert out.transcript is None
    again = apply_privacy(out, policy, KEY)
    assert again.tool_calls[1].customer_email == out.tool_calls[1].customer_email


def test_input_record_is_not_changed() -> None:
    record = _record()
    apply_privacy(record, PrivacySettings(), KEY)
    assert record.tool_calls[0].query == "pricing for jane@acme.com"


def test_generated_key_is_stable_and_private(tmp_path: Path) -> None:
    first = load_hash_key(None, tmp_path)
    assert load_hash_key(None, tmp_path) == first
    assert (tmp_path / "hash.key").stat().st_mode & 0o777 == 0o600
    assert keyed_hash("a@b.com", first) != keyed_hash("a@b.com", b"other")


def test_a_refused_booking_keeps_no_address_even_when_policy_keeps_booking_emails() -> None:
    record = _record()
    refused = ToolCall(
        tool="book_sales_meeting",
        timestamp=NOW,
        customer_name="Omar Smith",
        customer_email="omar.smith@smithbuild",
        success=False,
        arguments={"customer_email": "omar.smith@smithbuild"},
    )
    record = record.model_copy(update={"tool_calls": [*record.tool_calls, refused]})
    out = apply_privacy(record, PrivacySettings(booking_email="keep"), KEY)
    assert "omar.smith@smithbuild" not in out.model_dump_json()
    assert out.tool_calls[2].customer_email == "[EMAIL]"
    assert out.tool_calls[1].customer_email == "jane@acme.com"  # the real booking is kept
