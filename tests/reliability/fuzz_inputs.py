"""Hostile inputs for the isolation fuzz suite (hypothesis strategies).

A *case* is one message as a broker would carry it: an id and body bytes. Bodies start from a
complete record (every field of the schema filled in) in a CloudEvents envelope, then one or
more mutations hit any field of the record, any attribute of the envelope or the bytes
themselves: bytes that are not UTF-8, control characters, huge and tiny numbers, times out of
range, digits of other scripts, deep nesting, wrong types, unknown fields, truncation.
"""

from __future__ import annotations

import base64
import copy
import gzip
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from signalroom.record import RECORD_TYPE
from tests.reliability.records import SEED

#: Session ids unique within a run and of one length, so generation never depends on them
#: (hypothesis needs the same draws to give the same shape of data).
_RUN = uuid.uuid4().hex[:8]
_SESSIONS = itertools.count()


def fresh_session() -> str:
    return f"fz-{_RUN}-{next(_SESSIONS):010d}"


def full_record() -> dict[str, Any]:
    """The seed record with every optional v1 field filled in, so every field can be hit."""
    data = copy.deepcopy(SEED)
    # fmt: off
    data.update(
        schema_version="1.0",
        record_id="",
        revision=3,
        complete=True,
        agent_name="sales-agent",
        room="room_abc123",
        participant_identity="caller-1",
        close_reason="user_hangup",
        errors=["tts timeout"],
        collection_errors=1,
        user_turns=4,
        agent_turns=4,
        conversation_state="booking",
        stage_history=[{"stage": "greeting", "at": "2025-01-28T10:30:01"}],
        conversation_notes=[{"text": "wants a demo", "at": "2025-01-28T10:33:00"}],
        signal_evidence=[
            {"field": "team_size", "value": 8, "source": "pattern", "turn_index": 1,
             "at": "2025-01-28T10:30:40", "span": "team of 8"},
        ],
        usage=[
            {"kind": "llm", "provider": "openai", "model": "gpt-4.1-mini", "prompt_tokens": 900,
             "completion_tokens": 100, "cached_tokens": 0, "requests": 4},
        ],
        turns=[{"turn_id": "t1", "index": 0, "e2e_latency_ms": 812.5, "llm_ttft_ms": 300.0}],
        transcript=[{"role": "user", "text": "we are a team of 8", "at": "2025-01-28T10:30:40",
                     "turn_index": 1}],
        redaction={"transcript": "pii-masked"},
        metadata={"region": "eu", "tier": 2, "trial": True, "score": 0.5, "none": None},
    )
    # fmt: on
    data["tool_calls"][0].update(duration_ms=41.0, error=None, arguments={"q": "templates"})
    data["metrics_summary"].update(llm_prompt_tokens=2000, llm_completion_tokens=500)
    return data


def _get_path(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes), inner nodes included."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


RECORD_PATHS = sorted(paths(full_record()), key=repr)
LEAF_PATHS = [p for p in RECORD_PATHS if not isinstance(_get_path(full_record(), p), dict | list)]
ENVELOPE_ATTRIBUTES = [
    "specversion", "id", "source", "type", "time", "datacontenttype", "signalroomencoding",
    "data", "data_base64",
]  # fmt: skip

odd_digits = st.sampled_from(["²", "١٢", "𝟏", "٣.٠", "１２", "߁", "⁹", "Ⅻ", "1️⃣", "৭"])
odd_times = st.sampled_from([
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00",
    "9999-12-31T23:59:59.999999-14:00", "2025-02-30T10:00:00", "2025-01-28T24:00:00",
    "２０２５-01-28T10:30:00", "2025-01-28T10:30:00+24:00", "+2025-01-28", "1e10", "",
    "2025-01-28T10:30:00Z", "2025-01-28", "0000-01-01T00:00:00", "2025-01-28T10:30:00.1234567",
])  # fmt: skip
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(10**30)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([5e-324, -0.0, 1e308, -1e308, 1.7976931348623157e308, 2.2250738585072014e-308]),
)
texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=20),
    st.sampled_from(["\x00", "a\x00b", "\u202e", "\ufeff", "\U0010ffff", "\\", "'; --", "%s%n"]),
    st.integers(0, 25_000).map(lambda n: "x" * n),
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=12,
)


def _nest(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


hostile = st.one_of(json_values, odd_digits, odd_times, st.integers(1, 400).map(_nest))


# Raw JSON text that ``json.dumps`` cannot produce: lone surrogates, NaN, huge exponents.
RAW_TOKENS = [
    '"\\ud800"', '"\\udfff x"', "NaN", "Infinity", "-Infinity", "1e999", "-1e999",
    "123456789012345678901234567890", "1.0e-400", '"\\u0000"', "tru", '"\\x"',
    "[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000,
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One message: what the broker carries, and how it was made (shown when a check fails)."""

    id: str
    body: bytes
    how: str


def _like(current: Any) -> st.SearchStrategy[Any]:
    """Values that look like what is there: odd times for a time, odd numbers for a number."""
    if isinstance(current, bool) or current is None:
        return st.sampled_from([0, 1, "true", "", [], {}])
    if isinstance(current, int | float):
        return st.one_of(numbers, odd_digits, numbers.map(str))
    if isinstance(current, str) and current[:2] == "20" and "-" in current:
        return odd_times
    if isinstance(current, str) and current[:1].isdigit():  # a version
        return st.one_of(odd_digits.map(lambda d: f"{d}.0"), st.sampled_from(_VERSIONS))
    return texts


_VERSIONS = ["1", "1.", "1.99", "01.0", "2.0", "0.9", "1.0.0", "1e0", "-1.0", "1_0.0", "9" * 30]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _delete(data: Any, path: tuple[Any, ...]) -> None:
    for step in path[:-1]:
        data = data[step]
    del data[path[-1]]


def _envelope(record: Any, **attrs: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0", "id": "0" * 36, "source": "signalroom/agent",
        "type": RECORD_TYPE, "time": "2025-01-28T10:36:00+00:00",
        "datacontenttype": "application/json", **attrs, "data": record,
    }  # fmt: skip


@st.composite
def record_mutation(draw: st.DrawFn) -> tuple[Any, str]:
    data = full_record()
    data["session_id"] = fresh_session()
    notes = []
    for _ in range(draw(st.integers(1, 3))):
        live = list(paths(data))
        path = draw(st.sampled_from(live)) if live else ("session_id",)
        action = draw(st.sampled_from(["set", "set", "set", "delete", "unknown", "raw"]))
        try:
            if action == "set":
                value = draw(st.one_of(hostile, _like(_get_path(data, path))))
                _set(data, path, value)
                notes.append(f"{path}={value!r:.60}")
            elif action == "delete":
                _delete(data, path)
                notes.append(f"del {path}")
            elif action == "unknown":
                parent: Any = data
                for step in path[:-1]:
                    parent = parent[step]
                if isinstance(parent, dict):
                    name = draw(texts.filter(lambda t: t not in parent))
                    parent[name] = draw(json_values)
                    notes.append(f"unknown {path[:-1]}+{name!r:.30}")
            else:
                token = draw(st.sampled_from(RAW_TOKENS))
                _set(data, path, _RAW)
                notes.append(f"{path}=raw {token}")
                text = json.dumps(data).replace(json.dumps(_RAW), token, 1)
                return _RawJson(text), "; ".join(notes)
        except (KeyError, IndexError, TypeError):
            continue  # the path vanished under an earlier mutation
    return data, "; ".join(notes) or "unchanged"


_RAW = "\x01raw-token\x01"


@dataclass(frozen=True)
class _RawJson:
    text: str


def _dump(event: dict[str, Any], data: Any) -> bytes:
    if isinstance(data, _RawJson):
        head = json.dumps({k: v for k, v in event.items() if k != "data"})
        return (head[:-1] + ', "data": ' + data.text + "}").encode("utf-8", "surrogatepass")
    return json.dumps({**event, "data": data}).encode("utf-8", "surrogatepass")


@st.composite
def envelope_mutation(draw: st.DrawFn, data: Any) -> tuple[bytes, str]:
    event = _envelope(None)
    del event["data"]
    attr = draw(st.sampled_from(ENVELOPE_ATTRIBUTES))
    kind = draw(st.sampled_from(["set", "delete", "gzip"]))
    if kind == "gzip":
        raw = json.dumps(data).encode("utf-8", "surrogatepass")
        packed = gzip.compress(raw, mtime=0)
        if draw(st.booleans()):
            packed = packed[: int(draw(st.floats(0, 1)) * len(packed))]
        event.update(signalroomencoding="gzip", data_base64=base64.b64encode(packed).decode())
        return json.dumps(event).encode(), f"gzip data_base64 ({len(packed)} bytes)"
    if kind == "delete":
        if attr == "data":
            return json.dumps(event).encode(), "envelope without data"
        event.pop(attr, None)
        return _dump(event, data), f"envelope del {attr}"
    value = draw(hostile)
    if attr == "data":
        return _dump(event, value), f"envelope data={value!r:.60}"
    event[attr] = value
    return _dump(event, data), f"envelope {attr}={value!r:.60}"


@st.composite
def byte_mutation(draw: st.DrawFn, body: bytes) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["flip", "cut", "insert", "prefix", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300)), "random bytes"
    at = min(len(body) - 1, int(draw(st.floats(0, 1)) * len(body)))
    if kind == "flip":
        return body[:at] + bytes([body[at] ^ draw(st.integers(1, 255))]) + body[at + 1 :], (
            f"byte {at} flipped"
        )
    if kind == "cut":
        return body[:at], f"cut at {at}"
    junk = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\x00", b"\xed\xa0\x80"]))
    if kind == "prefix":
        return junk + body, f"prefix {junk!r}"
    return body[:at] + junk + body[at:], f"insert {junk!r} at {at}"


message_ids = st.one_of(
    st.just(""),
    st.uuids().map(str),
    texts.map(lambda t: t[:200]),
)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """One message: a valid record, or one mutated at the record, envelope or byte level."""
    level = draw(st.sampled_from(["valid", "record", "record", "typed", "envelope", "bytes"]))
    if level == "typed":  # one leaf, set to an odd value of its own kind
        data = full_record()
        data["session_id"] = fresh_session()
        path = draw(st.sampled_from(LEAF_PATHS))
        value = draw(_like(_get_path(data, path)))
        _set(data, path, value)
        body, how = _dump(_envelope(None), data), f"{path}={value!r:.60}"
    elif level == "valid":
        data: Any = full_record()
        data["session_id"] = fresh_session()
        if draw(st.booleans()):  # a newer minor's fields: kept, never refused
            data["fz_added_in_1_9"] = {"nested": [1, "two"]}
            data["tool_calls"][0]["fz_retry"] = 2
        body, how = _dump(_envelope(None), data), "valid record"
    elif level == "record":
        data, how = draw(record_mutation())
        body = _dump(_envelope(None), data)
    elif level == "envelope":
        data = full_record()
        data["session_id"] = fresh_session()
        body, how = draw(envelope_mutation(data))
    else:
        data = full_record()
        data["session_id"] = fresh_session()
        body, how = draw(byte_mutation(_dump(_envelope(None), data)))
    ident = draw(message_ids)
    return Case(id=f"{ident}#{uuid.uuid4().hex[:8]}", body=body, how=how)


#: A batch as one publish: 1-4 messages.
batches = st.lists(cases(), min_size=1, max_size=4)
