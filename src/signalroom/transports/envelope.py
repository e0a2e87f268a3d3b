"""Messages on the wire: a structured-mode CloudEvents 1.0 JSON envelope around the record.

Small records travel as ``data`` (readable in any broker console). Above
``COMPRESS_ABOVE`` bytes the record JSON is gzip-compressed into ``data_base64`` with the
extension attribute ``signalroomencoding: gzip`` (CloudEvents extension names are lowercase
alphanumerics), so every transport carries the same bytes and decodes them the same way.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from datetime import UTC, datetime
from typing import Any

from signalroom.errors import InvalidRecordError
from signalroom.record import RECORD_TYPE, SessionRecord

SPECVERSION = "1.0"
SOURCE = "signalroom/agent"
COMPRESS_ABOVE = 16 * 1024
#: Refuse to inflate beyond this: a small compressed payload must not expand without bound.
MAX_DECODED_BYTES = 8 * 1024 * 1024


def encode_record(record: SessionRecord, *, source: str = SOURCE) -> bytes:
    # pydantic's own JSON of a validated record is a JSON object: splice it in unparsed.
    record_json = record.model_dump_json().encode()
    return encode_payload(record_json, record.record_id, source=source, trusted=True)


def encode_payload(
    record_json: bytes, record_id: str, *, source: str = SOURCE, trusted: bool = False
) -> bytes:
    """``trusted`` skips re-parsing ``record_json`` (only for bytes known to be a JSON object)."""
    event: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": record_id,
        "source": source,
        "type": RECORD_TYPE,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
    }
    if len(record_json) > COMPRESS_ABOVE:
        event["signalroomencoding"] = "gzip"
        event["data_base64"] = base64.b64encode(gzip.compress(record_json, 6)).decode()
    elif trusted:
        head = json.dumps(event, separators=(",", ":")).encode()
        return head[:-1] + b',"data":' + record_json + b"}"
    else:
        event["data"] = json.loads(record_json)
    return json.dumps(event, separators=(",", ":")).encode()


def decode_envelope(body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(attributes, record_dict)``; raise ``InvalidRecordError`` naming the problem."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidRecordError(f"message is not a JSON envelope: {exc}") from None
    if not isinstance(event, dict):
        raise InvalidRecordError("message is not a CloudEvents object")
    for attr in ("specversion", "id", "type"):
        if not isinstance(event.get(attr), str):
            raise InvalidRecordError(f"envelope is missing CloudEvents attribute {attr!r}")
    if event["type"] != RECORD_TYPE and not event["type"].startswith("signalroom.session."):
        raise InvalidRecordError(f"unknown event type {event['type']!r}")
    if "data_base64" in event:
        data = _inflate(event)
    elif "data" in event:
        data = event["data"]
    else:
        raise InvalidRecordError("envelope carries no data")
    if not isinstance(data, dict):
        raise InvalidRecordError("envelope data is not a JSON object")
    attributes = {k: v for k, v in event.items() if k not in ("data", "data_base64")}
    return attributes, data


def _inflate(event: dict[str, Any]) -> Any:
    raw = event["data_base64"]
    if not isinstance(raw, str):
        raise InvalidRecordError("data_base64 is not a string")
    try:
        packed = base64.b64decode(raw, validate=True)
        if event.get("signalroomencoding") == "gzip":
            decomp = gzip.GzipFile(fileobj=io.BytesIO(packed))
            packed = decomp.read(MAX_DECODED_BYTES + 1)
            if len(packed) > MAX_DECODED_BYTES:
                raise InvalidRecordError("compressed record inflates beyond the size limit")
        return json.loads(packed)
    except InvalidRecordError:
        raise
    except (ValueError, OSError, EOFError, RecursionError) as exc:
        raise InvalidRecordError(f"data_base64 cannot be decoded: {exc}") from None
