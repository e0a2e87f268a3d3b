from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalroom.errors import InvalidRecordError, UnknownSchemaVersionError
from signalroom.record import (
    SCHEMA_VERSION,
    SessionRecord,
    decode_record,
    derive_record_id,
    json_schema,
)

ROOT = Path(__file__).parent.parent


def test_seed_example_validates_as_v1(seed_record_dict: dict[str, Any]) -> None:
    record = decode_record(json.dumps(seed_record_dict))
    assert record.schema_version == SCHEMA_VERSION
    assert record.session_id == "room_abc123"
    assert record.discovered_signals.integration_needs == ["salesforce", "api"]
    assert record.tool_calls[0].tool == "unleash_search_knowledge"
    assert record.tool_calls[0].total_results == 5
    assert record.tool_calls[1].customer_email == "john@acme.com"
    assert record.metrics_summary.llm_tokens == 2500
    assert record.complete is True


def test_record_id_is_derived_deterministically(seed_record_dict: dict[str, Any]) -> None:
    first = decode_record(seed_record_dict)
    second = decode_record(dict(seed_record_dict))
    assert first.record_id == second.record_id
    assert first.record_id == derive_record_id("room_abc123", datetime(2025, 1, 28, 10, 30))
    other = decode_record({**seed_record_dict, "start_time": "2025-01-28T10:30:01"})
    assert other.record_id != first.record_id


def test_explicit_record_id_is_kept(seed_record_dict: dict[str, Any]) -> None:
    record = decode_record({**seed_record_dict, "record_id": "abc", "revision": 3})
    assert (record.record_id, record.revision) == ("abc", 3)


def test_unknown_fields_of_the_same_major_are_kept_at_every_level(
    seed_record_dict: dict[str, Any],
) -> None:
    # A newer minor's producer (an agent deployed before the service) adds fields: they are
    # kept, written back in the record's JSON, never refused.
    newer = json.loads(json.dumps(seed_record_dict))
    newer.update(schema_version="1.4", surprise={"nested": [1, "two"]}, sentiment_v2=0.5)
    newer["tool_calls"][0]["retries"] = 2
    newer["discovered_signals"]["budget"] = "50k"
    for payload in (newer, json.dumps(newer), json.dumps(newer).encode()):
        record = decode_record(payload)
        again = json.loads(record.model_dump_json())
        assert again["surprise"] == {"nested": [1, "two"]} and again["sentiment_v2"] == 0.5
        assert again["tool_calls"][0]["retries"] == 2
        assert again["discovered_signals"]["budget"] == "50k"
    assert decode_record(record.model_dump_json()) == record


def test_an_unknown_field_of_an_unknown_major_is_refused_for_the_major(
    seed_record_dict: dict[str, Any],
) -> None:
    with pytest.raises(UnknownSchemaVersionError, match=r"'2\.1'"):
        decode_record({**seed_record_dict, "schema_version": "2.1", "surprise": 1})


@pytest.mark.parametrize("version", ["².0", "١.0", "𝟏.0", "1️⃣.0", "+1.0", " 1.0", "1 .0", "", "."])
def test_version_in_other_digits_is_refused_not_crashed(
    seed_record_dict: dict[str, Any], version: str
) -> None:
    # "²".isdigit() is true but int("²") raises ValueError: this escaped the decoder.
    data = {**seed_record_dict, "schema_version": version}
    for payload in (data, json.dumps(data), json.dumps(data).encode()):
        with pytest.raises(UnknownSchemaVersionError, match="ASCII digits"):
            decode_record(payload)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_time", "0001-01-01T00:00:00+05:00"),
        ("end_time", "9999-12-31T23:59:59-05:00"),
        ("start_time", "0001-01-01T00:00:00"),
        ("end_time", "9999-12-31T12:00:00"),
    ],
)
def test_a_time_no_store_can_hold_is_refused_naming_the_field(
    seed_record_dict: dict[str, Any], field: str, value: str
) -> None:
    with pytest.raises(InvalidRecordError, match=rf"{field}: .*outside the supported range"):
        decode_record({**seed_record_dict, field: value})


def test_nested_times_are_bounded_too(seed_record_dict: dict[str, Any]) -> None:
    data = json.loads(json.dumps(seed_record_dict))
    data["tool_calls"][0]["timestamp"] = "0001-01-01T00:00:00+14:00"
    with pytest.raises(InvalidRecordError, match=r"tool_calls\.0\.timestamp"):
        decode_record(data)
    edge = {**seed_record_dict, "start_time": "0001-01-02T00:00:00+00:00"}
    assert decode_record(edge).start_time.year == 1


def test_unknown_major_version_is_refused(seed_record_dict: dict[str, Any]) -> None:
    with pytest.raises(UnknownSchemaVersionError, match=r"2\.0"):
        decode_record({**seed_record_dict, "schema_version": "2.0"})


def test_newer_minor_of_same_major_is_read(seed_record_dict: dict[str, Any]) -> None:
    assert decode_record({**seed_record_dict, "schema_version": "1.7"}).schema_version == "1.7"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"session_id": 5, "start_time": "x"}', "session_id"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_malformed_payloads_name_the_problem(payload: bytes, message: str) -> None:
    with pytest.raises(InvalidRecordError, match=message):
        decode_record(payload)


def test_huge_strings_are_refused(seed_record_dict: dict[str, Any]) -> None:
    with pytest.raises(InvalidRecordError, match="session_id"):
        decode_record({**seed_record_dict, "session_id": "x" * 10_000})


def test_deeply_nested_json_is_refused() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(InvalidRecordError):
        decode_record(deep)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2_000))
def test_random_bytes_never_crash_the_decoder(payload: bytes) -> None:
    with contextlib.suppress(InvalidRecordError, UnknownSchemaVersionError):
        decode_record(payload)


def test_round_trip_preserves_record(seed_record_dict: dict[str, Any]) -> None:
    record = decode_record(seed_record_dict)
    again = SessionRecord.model_validate_json(record.to_json())
    assert again == record


def test_checked_in_schema_is_current() -> None:
    checked_in = json.loads((ROOT / "schemas" / "session-record.v1.json").read_text())
    assert checked_in == json_schema(), (
        "schemas/session-record.v1.json is stale: run `signalroom schema > "
        "schemas/session-record.v1.json`"
    )


@pytest.mark.parametrize(
    "where",
    [
        ("fz_newer_field",),
        ("tool_calls", 0, "arguments", "q"),
        ("metadata_x", "k"),
        ("metadata", "tier"),
        ("redaction", "transcript"),
    ],
)
def test_a_lone_surrogate_is_refused_at_decoding(
    seed_record_dict: dict[str, Any], where: tuple[Any, ...]
) -> None:
    # Python's JSON parser keeps "\udfff" and some fields then accept it; no store can
    # write it, so it is refused here.
    data = json.loads(json.dumps(seed_record_dict))
    target: Any = data
    for step in where[:-1]:
        target = target.setdefault(step, {}) if isinstance(step, str) else target[step]
    target[where[-1]] = "a\udfffb"
    body = json.dumps(data)  # ASCII-only: the surrogate travels as the escape \udfff
    for payload in (body, body.encode()):
        with pytest.raises(InvalidRecordError, match="lone surrogate"):
            decode_record(payload)
    paired = body.replace("a\\udfffb", "\\ud83d\\ude00")  # an emoji as an escaped pair is fine
    assert "😀" in decode_record(paired).model_dump_json()


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("where", ["signal_evidence", "extra", "arguments"])
def test_a_number_json_cannot_hold_is_refused(
    seed_record_dict: dict[str, Any], token: str, where: str
) -> None:
    # Python's JSON reads these; stored, they would come back as null or not at all.
    data = json.loads(json.dumps(seed_record_dict))
    if where == "signal_evidence":
        data["signal_evidence"] = [{"field": "team_size", "value": "@@"}]
    elif where == "extra":
        data["fz_ratio"] = {"deep": ["@@"]}
    else:
        data["tool_calls"][0]["arguments"] = {"n": "@@"}
    body = json.dumps(data).replace('"@@"', token)
    with pytest.raises(InvalidRecordError, match="finite number"):
        decode_record(body)


def test_free_form_nesting_is_bounded(seed_record_dict: dict[str, Any]) -> None:
    # An unknown field is kept, but only as deep as it can be written back.
    from signalroom.record import MAX_FREE_FORM_DEPTH

    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return value

    ok = decode_record({**seed_record_dict, "fz_tree": nested(MAX_FREE_FORM_DEPTH)})
    assert json.loads(ok.model_dump_json())["fz_tree"] == nested(MAX_FREE_FORM_DEPTH)
    deep = "[" * 300 + "1" + "]" * 300  # within what JSON parsers read, beyond the bound
    body = json.dumps({**seed_record_dict, "fz_tree": 0}).replace(
        '"fz_tree": 0', f'"fz_tree": {deep}'
    )
    with pytest.raises(InvalidRecordError, match="nested deeper than"):
        decode_record(body)
