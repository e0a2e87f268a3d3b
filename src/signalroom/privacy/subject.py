"""What ``forget`` erases, and the one rule that decides whether a record falls under it.

A :class:`Subject` is one person (an email address, raw or as the deployment's keyed hash
``h:…``), one session, or everything that started before a cutoff. Every store's ``erase`` and
``count`` ask :meth:`Subject.matches` (or :meth:`Subject.matches_body` for queued bytes), so
matching is the same everywhere.

Email matching is exact: the address is normalized (trimmed, case-folded) and compared with
whole values and with whole address tokens found in free text. ``jane@acme.com`` never matches
``mary.jane@acme.com`` nor ``jane@acme.com.au``; a substring search over the record's JSON did,
and erased other people.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from signalroom.errors import ConfigError, InvalidRecordError
from signalroom.privacy.hashing import PREFIX, keyed_hash

#: A whole address in free text: the longest run of address characters around one ``@``.
#: Scanning for whole tokens (instead of substrings) is what keeps ``xa@b.c`` apart from ``a@b.c``.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*")
#: A keyed hash as :func:`keyed_hash` writes it, as a whole token.
_HASH = re.compile(re.escape(PREFIX) + r"[0-9a-f]{32}(?![0-9a-f])")


def normalize_email(value: str) -> str:
    """The form every store compares: trimmed and case-folded (as :func:`keyed_hash` hashes)."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class Subject:
    """What to erase; exactly one of the three selectors is set."""

    label: str
    #: Normalized address and, when the deployment hashes, its keyed hash; compared exactly.
    needles: tuple[str, ...] = ()
    session_id: str | None = None
    #: Retention: records that started before this instant (UTC).
    before: datetime | None = None

    @classmethod
    def for_email(cls, email: str, key: bytes | None) -> Subject:
        """Refuses anything that is not one address, so ``@`` or ``smith`` never erase others."""
        value = email.strip()
        try:
            # email-validator checks the syntax only (no DNS): an erasure may concern a
            # domain that no longer exists.
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ConfigError(
                f"{email!r} is not an email address: {exc}", hint="--email jane@acme.com"
            ) from None
        needles = [normalize_email(value)]
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

    @property
    def email(self) -> str | None:
        """The normalized address of an email subject."""
        return next((n for n in self.needles if "@" in n), None)

    # -- matching -------------------------------------------------------------------------
    def matches(self, data: dict[str, Any]) -> bool:
        """Whether a record (as a JSON dict) falls under this subject."""
        if self.session_id is not None:
            return data.get("session_id") == self.session_id
        if self.before is not None:
            started = _as_utc(data.get("start_time"))
            return started is not None and started < self.before
        return any(self.mentioned_in(text) for text in _strings(data))

    def mentioned_in(self, text: str) -> bool:
        """Whether ``text`` is, or contains as a whole token, one of the needles."""
        if not self.needles:
            return False
        if normalize_email(text) in self.needles:
            return True
        tokens = {normalize_email(t).rstrip(".") for t in _ADDRESS.findall(text)}
        tokens.update(_HASH.findall(text.casefold()))
        return not tokens.isdisjoint(self.needles)

    def matches_body(self, body: bytes, stored_at: datetime | None = None) -> bool:
        """Whether a queued envelope falls under this subject, even one that does not decode."""
        from signalroom.transports.envelope import decode_envelope

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
        text = body.decode("utf-8", "replace")
        if self.session_id is not None:
            quoted = re.escape(json.dumps(self.session_id))
            return re.search(r'"session_id"\s*:\s*' + quoted, text) is not None
        return self.mentioned_in(text)

    def like_patterns(self) -> tuple[str, ...]:
        """SQL ``LIKE … ESCAPE '\\'`` prefilters (any may match) for stores that search text.

        They only narrow the candidates: the exact decision is :meth:`matches` on each one.
        Empty when no safe prefilter exists (not an email subject, or non-ASCII text that a
        store may have escaped in its JSON).
        """
        if not self.needles or not all(n.isascii() for n in self.needles):
            return ()
        return tuple(
            "%" + n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for n in self.needles
        )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def as_utc(value: Any) -> datetime | None:
    """A record time (ISO text or datetime) as an aware UTC datetime; None if it is not one."""
    return _as_utc(value)


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


def from_epoch(value: Any) -> datetime | None:
    """A stored epoch-seconds value as UTC, for dating what does not decode."""
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None
