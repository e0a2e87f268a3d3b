"""``decode_message`` (one-pass decode) agrees with ``decode_envelope`` + ``decode_record``."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalroom.errors import SignalroomError
from signalroom.record import SessionRecord, decode_record
from signalroom.transports.envelope import (
    COMPRESS_ABOVE,
    MAX_DECODED_BYTES,
    decode_envelope,
    decode_message,
    encode_record,
)

SEED: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "seed-example-record.json").read_text()
)


def reference(body: bytes) -> tuple[dict[str, Any], SessionRecord]:
    attrs, data = decode_envelope(body)
    return attrs, decode_record(data)


def outcome(decode: Any, body: bytes) -> tuple[str, Any]:
    try:
        attrs, record = decode(body)
    except SignalroomError as exc:
        return type(exc).__name__, str(exc)
    return "ok", (attrs, record.model_dump())


@pytest.fixture
def record(seed_record_dict: dict[str, Any]) -> SessionRecord:
    return decode_record(seed_record_dict)


@pytest.fixture
def envelope(record: SessionRecord) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(encode_record(record))
    return parsed


def test_plain_envelope_gives_the_record_and_attributes(record: SessionRecord) -> None:
    body = encode_record(record)
    attrs, decoded = decode_message(body)
    assert decoded == record
    assert attrs == reference(body)[0]
    assert attrs["type"] == "signalroom.session.v1" and "time" in attrs


def test_compressed_envelope_gives_the_record(record: SessionRecord) -> None:
    big = record.model_copy(update={"errors": ["x" * 500] * (COMPRESS_ABOVE // 400)})
    body = encode_record(big)
    assert b"data_base64" in body
    attrs, decoded = decode_message(body)
    assert decoded == big and attrs["signalroomencoding"] == "gzip"


def mutations(env: dict[str, Any]) -> list[dict[str, Any]]:
    data = env["data"]
    return [
        {**env, "data": {**data, "schema_version": "2.0"}},
        {**env, "data": {**data, "schema_version": "abc"}},
        {**env, "data": {**data, "schema_version": 1.0}},
        {**env, "data": {**data, "surprise": 1}},
        {**env, "data": {**data, "session_id": None}},
        {**env, "data": None},
        {**env, "data": [1, 2]},
        {**env, "data_base64": None},
        {**env, "data_base64": "%%%"},
        {**env, "type": "something.else"},
        {**env, "type": "signalroom.session.v9"},
        {**env, "id": 5},
        {k: v for k, v in env.items() if k != "specversion"},
        {k: v for k, v in env.items() if k != "data"},
    ]


def compressed_variants(env: dict[str, Any]) -> list[dict[str, Any]]:
    """Envelopes whose ``data_base64`` is odd in every way the inflater can see."""
    record_json = json.dumps(env["data"]).encode()
    head = {k: v for k, v in env.items() if k != "data"}

    def packed(raw: bytes, gzipped: bool = True) -> dict[str, Any]:
        extra = {"signalroomencoding": "gzip"} if gzipped else {}
        return {**head, **extra, "data_base64": base64.b64encode(raw).decode()}

    whole = gzip.compress(record_json)
    return [
        packed(whole),
        packed(record_json, gzipped=False),
        packed(whole[: len(whole) // 2]),
        packed(whole + whole),
        packed(whole + b"junk"),
        packed(b"not gzip at all"),
        packed(gzip.compress(b"[1, 2]")),
        packed(gzip.compress(b"{" + b" " * (MAX_DECODED_BYTES + 10) + b"}")),
        {**packed(whole), "data_base64": "%%%"},
    ]


def test_malformed_envelopes_fail_exactly_as_the_reference(envelope: dict[str, Any]) -> None:
    cases = mutations(envelope) + compressed_variants(envelope)
    bodies = [json.dumps(m).encode() for m in cases]
    bodies += [b"", b"not json", b"[]", b"\xff\xfe", b"[" * 5_000]
    for body in bodies:
        assert outcome(decode_message, body) == outcome(reference, body), body[:80]
    assert outcome(decode_message, bodies[0])[0] == "UnknownSchemaVersionError"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    top=st.dictionaries(
        st.sampled_from(["specversion", "id", "type", "data", "data_base64", "x"]), json_values
    ),
    field=st.sampled_from(
        ["session_id", "start_time", "revision", "transcript", "tool_calls", "record_id", "zz"]
    ),
    value=json_values,
)
def test_any_change_decodes_as_the_reference(top: dict[str, Any], field: str, value: Any) -> None:
    env = json.loads(encode_record(decode_record(SEED)))
    env["data"][field] = value
    for body in (json.dumps(env).encode(), json.dumps({**env, **top}).encode()):
        assert outcome(decode_message, body) == outcome(reference, body)


@settings(max_examples=200, deadline=None)
@given(record_id=st.text(min_size=1, max_size=60), source=st.text(max_size=30))
def test_the_trusted_envelope_is_byte_for_byte_what_json_writes(
    record_id: str, source: str
) -> None:
    """The session-end path writes the envelope's head by hand; it must be exactly the bytes
    json.dumps gives for the same attributes, whatever the id and source hold."""
    from signalroom.transports.envelope import encode_payload

    data = b'{"a":1}'
    body = encode_payload(data, record_id, source=source, trusted=True)
    event = json.loads(body)
    expected = json.dumps({**event, "data": {"a": 1}}, separators=(",", ":")).encode()
    assert body == expected
    assert (event["id"], event["source"]) == (record_id, source)
