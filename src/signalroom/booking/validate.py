"""Turn what a caller said into a clean email address and a bookable start time.

email-validator checks the address (syntax only, no DNS lookup during a call); dateparser reads
the time ("tomorrow at 3pm", "next Tuesday 10am") relative to ``now``; zoneinfo checks time zone
names. Voice input gets a little help first: "john at acme dot com" becomes john@acme.com,
"at 3" means 3pm, and "3pm Pacific" or "10am London time" picks the zone.
Every refusal is a ``BookingRefused`` whose ``spoken`` the agent can say as it is.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, time, timedelta
from functools import lru_cache

import dateparser
from email_validator import EmailNotValidError
from email_validator import validate_email as _check_email

from signalroom.booking.base import BookingRefused

# --- email -------------------------------------------------------------------------------------

_SPOKEN_EMAIL = [
    (re.compile(r"\s+at\s+(?:sign\s+|symbol\s+)?", re.I), "@"),
    (re.compile(r"\s+dot\s+", re.I), "."),
    (re.compile(r"\s+underscore\s+", re.I), "_"),
    (re.compile(r"\s+(?:dash|hyphen|minus)\s+", re.I), "-"),
    (re.compile(r"\s+plus\s+", re.I), "+"),
]


def validate_email(raw: str) -> str:
    """The normalized address, or ``BookingRefused`` saying what to fix.

    A spoken address (no "@", words "at" and "dot") is rewritten first, and spelled letters
    ("j o h n at acme dot com") are joined. A written address with a space is refused, since
    guessing which part is wrong would book the wrong person.
    """
    text = (raw or "").strip().removeprefix("mailto:").strip("<>\"' ").rstrip(".,;:!?")
    if not text:
        raise BookingRefused(
            "no email address given", spoken="What's the best email address for the invite?"
        )
    if "@" not in text and re.search(r"\sat\s", text, re.I):
        for pattern, symbol in _SPOKEN_EMAIL:
            text = pattern.sub(symbol, f" {text} ").strip()
        # Spoken addresses come through speech-to-text capitalized like names; mailboxes
        # are case-insensitive in practice, so lower-case is the safer spelling.
        text = re.sub(r"\s+", "", text).lower()
    if "@" not in text:
        raise BookingRefused(
            f"email address {raw!r} has no @-sign",
            spoken=_spoken_email_problem("must have an @-sign"),
        )
    if re.search(r"\s", text):
        raise BookingRefused(
            f"email address {raw!r} contains a space",
            spoken="I heard a space in that email address — could you spell it for me?",
        )
    try:
        return _check_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BookingRefused(
            f"email address {raw!r} is not valid: {exc}", spoken=_spoken_email_problem(str(exc))
        ) from None


def _spoken_email_problem(reason: str) -> str:
    if "must have an @-sign" in reason:
        return "That email address seems to be missing the 'at' part — could you say it again?"
    if "after the @-sign" in reason:
        return "The part after the 'at' in that email doesn't look complete — could you repeat it?"
    if "before the @-sign" in reason:
        return "The first part of that email didn't come through clearly — could you spell it?"
    return "That email address doesn't look complete — could you spell it for me?"


# --- time zones --------------------------------------------------------------------------------

#: Zone names callers say instead of IANA names; each maps to the zone that tracks daylight time.
TIMEZONE_ALIASES = {
    "eastern": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "gmt": "Etc/GMT",
    "utc": "UTC",
    "bst": "Europe/London",
    "uk": "Europe/London",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "central european": "Europe/Berlin",
    "ist": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "aest": "Australia/Sydney",
}

_ALIAS_IN_TEXT = re.compile(
    r"\b(?P<zone>"
    + "|".join(sorted(map(re.escape, TIMEZONE_ALIASES), key=len, reverse=True))
    + r")\b(?:\s+(?:standard\s+|daylight\s+)?time)?",
    re.I,
)
_CITY_IN_TEXT = re.compile(r"\b(?P<zone>[a-z]+(?:\s[a-z]+)?)\s+time\b", re.I)


@lru_cache(maxsize=1)
def _zone_index() -> dict[str, str]:
    """Lower-case IANA names and city names ("new york") → IANA name."""
    index: dict[str, str] = {}
    for name in sorted(zoneinfo.available_timezones()):
        index[name.lower()] = name
        city = name.rsplit("/", 1)[-1].lower()
        if "/" in name and not name.startswith("Etc/"):
            index.setdefault(city, name)
            index.setdefault(city.replace("_", " "), name)
    return index


def find_timezone(name: str) -> str | None:
    """The IANA name for ``name`` (IANA, alias like "Pacific", or city), or None."""
    key = " ".join(re.sub(r"\btime\b", " ", name.lower()).split())
    if not key:
        return None
    if key in TIMEZONE_ALIASES:
        return TIMEZONE_ALIASES[key]
    return _zone_index().get(key) or _zone_index().get(key.replace(" ", "_"))


def resolve_timezone(name: str) -> zoneinfo.ZoneInfo:
    """A ZoneInfo for ``name``, or ``BookingRefused`` asking where the caller is."""
    found = find_timezone(name)
    if found is None:
        raise BookingRefused(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London",
            spoken="I didn't recognise that time zone — which city are you in?",
        )
    return zoneinfo.ZoneInfo(found)


# --- preferred time ----------------------------------------------------------------------------

_BARE_HOUR = re.compile(
    r"\bat\s+(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?:\s*o'?clock)?\b(?!\s*(?:[ap]\.?m\b|:))",
    re.I,
)
_HAS_TIME = re.compile(
    r"\d\s*[ap]\.?m\b|\d:\d\d|\b(?:noon|midday|midnight|morning|afternoon|evening|tonight"
    r"|hours?|minutes?)\b",
    re.I,
)
_DEFAULT_HOUR = 10


def parse_preferred_time(
    text: str | None,
    timezone: str | None,
    *,
    now: datetime,
    default_timezone: str = "UTC",
    open_hour: int = 8,
    close_hour: int = 18,
) -> datetime:
    """The start the caller asked for, timezone-aware in their zone, or ``BookingRefused``.

    No text means the next weekday at 10:00. A day without a time ("Tuesday") means 10:00.
    A zone said in the text ("3pm Pacific") wins over ``timezone``, which wins over
    ``default_timezone``. Refused: unreadable text, times not after ``now``, weekends, and
    starts outside ``open_hour``-``close_hour`` local time.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("parse_preferred_time needs a timezone-aware 'now'")
    spoken = " ".join((text or "").split())
    zone_name, spoken = _zone_from_text(spoken)
    zone = resolve_timezone(zone_name or timezone or default_timezone)
    local_now = now.astimezone(zone)
    if not spoken:
        return _next_business_day(local_now, _clamp(_DEFAULT_HOUR, open_hour, close_hour))

    spoken = _explicit_meridiem(spoken)
    parsed = dateparser.parse(
        spoken,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": zone.key,
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
        },
    )
    if parsed is None:
        raise BookingRefused(
            f"could not read a date or time in {text!r}",
            spoken="Sorry, I didn't catch a day and time — could you say it like 'Tuesday at 2pm'?",
        )
    start = parsed.astimezone(zone).replace(second=0, microsecond=0)
    if not _HAS_TIME.search(spoken):
        start = start.replace(hour=_clamp(_DEFAULT_HOUR, open_hour, close_hour), minute=0)
    _check_bookable(start, local_now, open_hour, close_hour)
    return start


def _zone_from_text(text: str) -> tuple[str | None, str]:
    """A zone the caller named inside the time, and the text without it."""
    for pattern in (_ALIAS_IN_TEXT, _CITY_IN_TEXT):
        for match in pattern.finditer(text):
            found = find_timezone(match.group("zone"))
            if found:
                rest = (text[: match.start()] + text[match.end() :]).strip(" ,")
                return found, " ".join(rest.split())
    return None, text


def _explicit_meridiem(text: str) -> str:
    """ "at 3" → "at 3pm", "at 9" → "at 9am": business hours decide, as a person would."""

    def fix(match: re.Match[str]) -> str:
        hour = int(match.group("hour"))
        minute = match.group("minute") or "00"
        if hour == 0 or hour > 12:
            return f"at {hour}:{minute}"
        suffix = "am" if 8 <= hour <= 11 else "pm"
        return f"at {hour}:{minute}{suffix}"

    return _BARE_HOUR.sub(fix, text)


def _check_bookable(start: datetime, local_now: datetime, open_hour: int, close_hour: int) -> None:
    when = start.strftime("%A %d %B at %H:%M")
    if start <= local_now:
        raise BookingRefused(
            f"{start.isoformat()} is not in the future (now {local_now.isoformat()})",
            spoken="That time has already passed — what time later on would suit you?",
        )
    if start.weekday() >= 5:
        raise BookingRefused(
            f"{when} is on a weekend",
            spoken="We only book meetings on weekdays — would a day during the week work?",
        )
    if not time(open_hour) <= start.time() < _close(close_hour):
        raise BookingRefused(
            f"{when} is outside {open_hour:02d}:00-{close_hour:02d}:00 local time",
            spoken=f"We book meetings between {_spoken_hour(open_hour)} and "
            f"{_spoken_hour(close_hour)} your time — what time in that window works?",
        )


def _next_business_day(local_now: datetime, hour: int) -> datetime:
    day = local_now.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=local_now.tzinfo)


def _close(close_hour: int) -> time:
    return time.max if close_hour >= 24 else time(close_hour)


def _clamp(hour: int, open_hour: int, close_hour: int) -> int:
    return min(max(hour, open_hour), max(open_hour, close_hour - 1))


def _spoken_hour(hour: int) -> str:
    if hour in (0, 24):
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour % 12}{'am' if hour < 12 else 'pm'}"
