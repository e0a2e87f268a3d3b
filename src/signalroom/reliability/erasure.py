"""Erase a person's or a call's data, or everything past retention, wherever a record rests.

A :class:`Subject` says what to erase: every record that mentions an email address (raw, as
the default ``booking_email = "keep"`` policy stores it, or as the deployment's keyed hash
``h:…`` under the ``hash`` policy), one session, or every record that started before a cutoff.
:func:`forget` visits the places in the order records flow, so nothing erased upstream is
forwarded again while a later place is cleaned:

1. the outbox (``HOME/outbox.sqlite``): every version, in any state (pending, sent, parked);
2. the queue and its dead letters: the spool's ``<queue>`` and ``<queue>.dlq``, or the Redis
   stream and ``<stream>.dlq``; other brokers keep messages only until they are consumed and
   are reported as not searched;
3. the warehouse (DuckDB or PostgreSQL), through its own delete API: the record and every row
   derived from it (analysis, facts, tool calls, turns, deliveries);
4. the local booking store (``HOME/bookings.sqlite`` and the ``.ics`` invites), by email.

SQLite places are erased with ``secure_delete`` and a WAL checkpoint, so the bytes do not
linger in free pages or the write-ahead log. Every statement takes its values as parameters.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from signalroom.config import Settings
from signalroom.errors import ConfigError, InvalidRecordError
from signalroom.privacy.hashing import KEY_FILE, keyed_hash, load_hash_key
from signalroom.transports.envelope import decode_envelope

#: Redis entries read per XRANGE call while searching a stream.
_REDIS_PAGE = 500


@dataclass(frozen=True, slots=True)
class Subject:
    """What to erase; exactly one of the three selectors is set."""

    label: str
    #: Lower-cased forms to look for anywhere in a record: the raw email and its keyed hash.
    needles: tuple[str, ...] = ()
    session_id: str | None = None
    #: Retention: records that started before this instant (UTC).
    before: datetime | None = None

    @classmethod
    def for_email(cls, email: str, key: bytes | None) -> Subject:
        value = email.strip()
        if "@" not in value or len(value) > 320 or any(c.isspace() for c in value):
            raise ConfigError(f"{email!r} is not an email address", hint="--email jane@acme.com")
        needles = [value.casefold()]
        if key is not None:
            needles.append(keyed_hash(value, key))
        return cls(label=f"email {value}", needles=tuple(needles))

    @classmethod
    def for_session(cls, session_id: str) -> Subject:
        if not session_id.strip():
            raise ConfigError("the session id is empty", hint="--session room_abc123")
        return cls(label=f"session {session_id}", session_id=session_id)

    @classmethod
    def older_than(cls, days: int, now: datetime | None = None) -> Subject:
        if days < 1:
            raise ConfigError(f"retention of {days} days is too short", hint="use 1 or more")
        cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
        return cls(label=f"records older than {days} days", before=cutoff)

    # -- matching -------------------------------------------------------------------------
    def matches(self, data: dict[str, Any]) -> bool:
        """Whether a record (as a JSON dict) falls under this subject."""
        if self.session_id is not None:
            return data.get("session_id") == self.session_id
        if self.before is not None:
            started = _as_utc(data.get("start_time"))
            return started is not None and started < self.before
        text = json.dumps(data, ensure_ascii=False).casefold()
        return any(n in text for n in self.needles)

    def matches_body(self, body: bytes, stored_at: datetime | None = None) -> bool:
        """Whether a queued envelope falls under this subject, even one that does not decode."""
        try:
            _, data = decode_envelope(body)
        except InvalidRecordError:
            data = None
        if data is not None:
            return self.matches(data)
        # Dead letters are often unreadable envelopes: search their raw text, date them by
        # when they were stored.
        if self.before is not None:
            return stored_at is not None and stored_at < self.before
        text = body.decode("utf-8", "replace").casefold()
        if self.session_id is not None:
            quoted = re.escape(json.dumps(self.session_id).casefold())
            return re.search(r'"session_id"\s*:\s*' + quoted, text) is not None
        return any(n in text for n in self.needles)


@dataclass(slots=True)
class ErasureReport:
    """What was removed, per place; ``skipped`` names places not searched, with the reason."""

    subject: str
    removed: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Items removed; the outbox counts versions (its ``records`` are the same rows)."""
        return sum(
            n
            for place, counts in self.removed.items()
            for what, n in counts.items()
            if (place, what) != ("outbox", "records")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "removed": self.removed,
            "total": self.total,
            "skipped": self.skipped,
            "notes": self.notes,
        }


def subject_key(settings: Settings) -> bytes | None:
    """The deployment's hash key, or None when nothing in this home was ever hashed with one."""
    if settings.privacy.hash_key is None and not (settings.home / KEY_FILE).exists():
        return None
    return load_hash_key(settings.privacy.hash_key, settings.home)


def forget(
    settings: Settings,
    subject: Subject,
    *,
    queue_url: str | None = None,
    warehouse_url: str | None = None,
) -> ErasureReport:
    """Erase ``subject`` from every place of the deployment, upstream first."""
    report = ErasureReport(subject.label)
    if settings.outbox_path.exists():
        report.removed["outbox"] = erase_outbox(settings.outbox_path, subject)
    else:
        report.skipped["outbox"] = f"no outbox at {settings.outbox_path}"
    url = queue_url or settings.resolved_queue_url
    try:
        report.removed["queue"] = erase_queue(url, subject)
    except NotImplementedError as exc:
        report.skipped["queue"] = str(exc)
    report.removed["warehouse"] = erase_warehouse(
        warehouse_url or settings.resolved_warehouse_url, subject
    )
    if subject.session_id is None:
        report.removed["bookings"] = erase_bookings(settings.home, subject)
    else:
        report.skipped["bookings"] = "bookings are kept per email, not per call"
    destinations = settings.destinations
    if destinations.salesforce is not None:
        report.notes.append(
            "Salesforce keeps its own copy: erase the Lead and its Tasks there "
            "(docs/privacy.md#crm-and-other-receivers)"
        )
    if destinations.amplitude is not None:
        report.notes.append("Amplitude keeps its own copy: use its user deletion API")
    if destinations.webhooks:
        report.notes.append("webhook receivers keep what they were sent: erase it there")
    return report


# -- places -------------------------------------------------------------------------------------
def erase_outbox(path: Path, subject: Subject) -> dict[str, int]:
    """Delete every outbox version whose record falls under ``subject``."""
    from signalroom.outbox.store import Outbox

    outbox = Outbox(path)
    try:
        return outbox.erase_matching(
            lambda payload, created: subject.matches_body(payload, _from_epoch(created))
        )
    finally:
        outbox.close()


def erase_queue(url: str, subject: Subject) -> dict[str, int]:
    """Delete matching messages and dead letters; ``NotImplementedError`` for other brokers."""
    scheme = urlsplit(url).scheme
    if scheme == "spool":
        return _erase_spool(url, subject)
    if scheme in ("redis", "rediss"):
        return _erase_redis(url, subject)
    raise NotImplementedError(
        f"{scheme}:// keeps messages only until a service consumes them and has no search; "
        "drain it with `signalroom service --until-idle` and erase the warehouse"
    )


def erase_warehouse(url: str, subject: Subject) -> dict[str, int]:
    """Delete matching records through the warehouse's API (with every row derived from them)."""
    import asyncio

    from signalroom.destinations.warehouse import open_warehouse

    warehouse = open_warehouse(url)
    # A DuckDB service holds the file for writing: erasing beside it would race its batches.
    warehouse.acquire_writer_lock()
    try:
        ids = [
            r.record_id
            for r in warehouse.iter_records()
            if subject.matches(r.model_dump(mode="json"))
        ]
        removed = sum(1 for rid in ids if warehouse.delete_record(rid))
    finally:
        asyncio.run(warehouse.close())
        warehouse.release_writer_lock()
    return {"records": removed}


def erase_bookings(home: Path, subject: Subject) -> dict[str, int]:
    """Delete local bookings of the email (or that ended before the cutoff) and their invites."""
    path = home / "bookings.sqlite"
    if not path.exists():
        return {"bookings": 0, "invites": 0}
    with _sqlite(path) as db:
        if subject.before is not None:
            rows = db.execute(
                "DELETE FROM bookings WHERE end_utc < ? RETURNING booking_id",
                (subject.before.astimezone(UTC).isoformat(),),
            ).fetchall()
        else:
            emails = [n for n in subject.needles if "@" in n]
            rows = db.execute(
                "DELETE FROM bookings WHERE lower(email) IN (SELECT value FROM json_each(?)) "
                "RETURNING booking_id",
                (json.dumps(emails),),
            ).fetchall()
    invites = 0
    for (booking_id,) in rows:
        invite = home / "invites" / f"{booking_id}.ics"
        if invite.exists():
            invite.unlink()
            invites += 1
    return {"bookings": len(rows), "invites": invites}


# -- queue backends -----------------------------------------------------------------------------
def _erase_spool(url: str, subject: Subject) -> dict[str, int]:
    from signalroom.transports.spool import FILE_NAME, from_url

    spool = from_url(url)
    path = spool.directory / FILE_NAME
    if not path.exists():
        return {"messages": 0, "dead_letters": 0}
    dead = f"{spool.queue}.dlq"
    with _sqlite(path) as db:
        rows = db.execute(
            "SELECT seq, queue, body, enqueued_at FROM messages WHERE queue IN (?, ?)",
            (spool.queue, dead),
        ).fetchall()
        hits = [
            (seq, queue)
            for seq, queue, body, enqueued in rows
            if subject.matches_body(bytes(body), _from_epoch(enqueued))
        ]
        db.executemany("DELETE FROM messages WHERE seq = ?", [(seq,) for seq, _ in hits])
    return {
        "messages": sum(1 for _, q in hits if q != dead),
        "dead_letters": sum(1 for _, q in hits if q == dead),
    }


def _erase_redis(url: str, subject: Subject) -> dict[str, int]:
    import redis

    from signalroom.transports.redis_streams import DEFAULT_STREAM

    parts = urlsplit(url)
    stream = parse_qs(parts.query).get("stream", [DEFAULT_STREAM])[-1]
    client = redis.Redis.from_url(
        urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
        socket_timeout=10.0,
        socket_connect_timeout=3.0,
    )
    try:
        return {
            "messages": _erase_stream(client, stream, b"body", subject),
            "dead_letters": _erase_stream(client, f"{stream}.dlq", b"payload", subject),
        }
    except redis.RedisError as exc:
        raise ConfigError(
            f"cannot erase from redis stream {stream}: {exc}", hint="is Redis reachable?"
        ) from None
    finally:
        client.close()


def _erase_stream(client: Any, stream: str, body_field: bytes, subject: Subject) -> int:
    removed = 0
    start = "-"
    while True:
        page = client.xrange(stream, min=start, max="+", count=_REDIS_PAGE)
        if not page:
            return removed
        hits = [
            entry_id
            for entry_id, fields in page
            if subject.matches_body(fields.get(body_field, b""), _stream_time(entry_id))
        ]
        if hits:
            removed += int(client.xdel(stream, *hits))
        if len(page) < _REDIS_PAGE:
            return removed
        start = "(" + page[-1][0].decode()


# -- support code ----------------------------------------------------------------------------
@contextlib.contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction; deleted bytes are zeroed and the WAL folded in and truncated after."""
    db = sqlite3.connect(path, timeout=10.0)
    try:
        db.execute("PRAGMA secure_delete = ON")
        with db:
            yield db
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _from_epoch(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def _stream_time(entry_id: bytes) -> datetime | None:
    millis = entry_id.split(b"-", 1)[0]
    return datetime.fromtimestamp(int(millis) / 1000, UTC) if millis.isdigit() else None


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
