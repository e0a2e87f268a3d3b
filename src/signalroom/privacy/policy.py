"""Apply the per-field privacy policy to a record before it leaves the agent.

Signals are detected from the raw words in memory first; only then is the record made
private, so redaction never costs accuracy. Policies (``PrivacySettings``):

- ``transcript``: keep | redact | hash | drop (drop removes the transcript entirely);
- ``notes``, ``tool_queries``: keep | redact | hash;
- ``booking_email``, ``booking_name``: keep (default: the CRM needs them) | redact | hash;
- ``participant_identity``: hash by default.

Error texts and signal-evidence spans are always redacted: they are diagnostics, never needed
verbatim. The record's ``redaction`` field says which policy touched which field.
"""

from __future__ import annotations

from typing import Any, Literal

from signalroom.config import PrivacySettings
from signalroom.privacy.hashing import PREFIX, keyed_hash
from signalroom.privacy.redact import redact
from signalroom.record import SessionRecord

Policy = Literal["keep", "redact", "hash", "drop"]
_REDACTED_NAME = "[NAME]"
_REDACTED_EMAIL = "[EMAIL]"


def _apply(value: str | None, policy: Policy, key: bytes, placeholder: str | None = None) -> Any:
    if value is None or policy == "keep":
        return value
    if policy == "hash":
        return value if value.startswith(PREFIX) else keyed_hash(value, key)
    if placeholder is not None:
        return placeholder
    return redact(value)


def apply_privacy(record: SessionRecord, policy: PrivacySettings, key: bytes) -> SessionRecord:
    """A copy of ``record`` with the policy applied; the input is not changed."""
    data = record.model_dump(mode="python")
    applied: dict[str, str] = {}

    if data.get("transcript") is not None:
        applied["transcript"] = policy.transcript
        if policy.transcript == "drop":
            data["transcript"] = None
        else:
            for item in data["transcript"]:
                item["text"] = _apply(item["text"], policy.transcript, key)
    for note in data["conversation_notes"]:
        note["text"] = _apply(note["text"], policy.notes, key)
    applied["conversation_notes"] = policy.notes
    for call in data["tool_calls"]:
        # "keep" exists for the CRM, which only needs the identity of a booking that happened;
        # what a caller gave for a refused booking (a misheard address) is redacted
        booked = call.get("success") is True
        email_policy = (
            policy.booking_email if booked or policy.booking_email == "hash" else "redact"
        )
        name_policy = policy.booking_name if booked or policy.booking_name == "hash" else "redact"
        call["query"] = _apply(call["query"], policy.tool_queries, key)
        call["customer_email"] = _apply(call["customer_email"], email_policy, key, _REDACTED_EMAIL)
        call["customer_name"] = _apply(call["customer_name"], name_policy, key, _REDACTED_NAME)
        call["error"] = _apply(call["error"], "redact", key)
        if call.get("arguments"):
            call["arguments"] = _private_arguments(
                call["arguments"], email_policy, name_policy, key
            )
    applied["tool_queries"] = policy.tool_queries
    applied["booking_email"] = policy.booking_email
    applied["booking_name"] = policy.booking_name
    if data.get("participant_identity"):
        data["participant_identity"] = _apply(
            data["participant_identity"], policy.participant_identity, key, "[IDENTITY]"
        )
        applied["participant_identity"] = policy.participant_identity
    data["errors"] = [redact(e) for e in data["errors"]]
    for ev in data["signal_evidence"]:
        if isinstance(ev.get("span"), str):
            ev["span"] = redact(ev["span"])
    data["redaction"] = applied
    return SessionRecord.model_validate(data)


def _private_arguments(
    args: dict[str, Any], email_policy: Policy, name_policy: Policy, key: bytes
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in args.items():
        if not isinstance(value, str):
            out[name] = value
        elif "email" in name:
            out[name] = _apply(value, email_policy, key, _REDACTED_EMAIL)
        elif "name" in name:
            out[name] = _apply(value, name_policy, key, _REDACTED_NAME)
        else:
            out[name] = redact(value)
    return out
