"""Which stored envelopes fall under an erasure subject (the store deletes what matches)."""

from __future__ import annotations

from collections.abc import Callable

from signalroom.transports.envelope import decode_message

#: ``match(payload, created_at)``: whether a stored version falls under an erasure subject.
Match = Callable[[bytes, float], bool]


def email_match(email: str) -> Match:
    """Records whose caller identity or a booking names exactly ``email`` (case and surrounding
    spaces ignored)."""
    needle = email.strip().casefold()
    # a cheap byte search first, where it cannot miss: ASCII addresses in uncompressed envelopes
    quick = needle.encode() if needle.isascii() else None

    def match(payload: bytes, _created_at: float) -> bool:
        if not needle:
            return False
        if quick is not None and b"data_base64" not in payload and quick not in payload.lower():
            return False
        try:
            _, record = decode_message(payload)
        except Exception:  # a damaged envelope names nobody that could be matched exactly
            return False
        if (record.participant_identity or "").strip().casefold() == needle:
            return True
        return any(
            (call.customer_email or "").strip().casefold() == needle for call in record.tool_calls
        )

    return match
