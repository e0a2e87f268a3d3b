"""Email and time checks, with the sentences the agent will say."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from signalroom.booking import BookingRefused, parse_preferred_time, validate_email
from signalroom.booking.validate import find_timezone
from tests.booking.conftest import NOW


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("  Jane.Doe@ACME.com. ", "Jane.Doe@acme.com"),
        ("<jane@acme.com>", "jane@acme.com"),
        ("mailto:jane@acme.com", "jane@acme.com"),
        ("john at acme dot com", "john@acme.com"),
        ("John Smith at Acme dot co dot uk", "johnsmith@acme.co.uk"),
        ("j o h n at acme dot com", "john@acme.com"),
        ("mary underscore jones at big dash corp dot io", "mary_jones@big-corp.io"),
        ("sam plus demos at acme dot com", "sam+demos@acme.com"),
        ("john at sign acme dot com", "john@acme.com"),
    ],
)
def test_good_and_spoken_addresses_are_normalized(raw: str, expected: str) -> None:
    assert validate_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("johnacme.com", "missing the 'at'"),
        ("john@acme", "after the 'at'"),
        ("@acme.com", "first part"),
        ("john smith@acme.com", "space"),
        ("", "email address for the invite"),
        ("john@@acme.com", "after the 'at'"),
        ("john..doe@acme.com", "spell it for me"),
    ],
)
def test_bad_addresses_are_refused_with_a_spoken_reason(raw: str, said: str) -> None:
    with pytest.raises(BookingRefused) as caught:
        validate_email(raw)
    assert said in caught.value.spoken
    assert caught.value.retryable is False
    assert repr(raw) in str(caught.value) or not raw


def at(text: str | None, timezone: str | None = None, **kwargs: object) -> datetime:
    return parse_preferred_time(text, timezone, now=NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "timezone", "expected"),
    [
        ("tomorrow at 3pm", "America/New_York", datetime(2025, 6, 12, 15, 0)),
        ("next tuesday 10am", "Europe/London", datetime(2025, 6, 17, 10, 0)),
        ("Tuesday at 2", "UTC", datetime(2025, 6, 17, 14, 0)),
        ("next Tuesday at 10", "UTC", datetime(2025, 6, 17, 10, 0)),
        ("tomorrow at 9:30", "Asia/Tokyo", datetime(2025, 6, 12, 9, 30)),
        ("June 20 at 4:30pm", "america/chicago", datetime(2025, 6, 20, 16, 30)),
        ("friday", "Eastern", datetime(2025, 6, 13, 10, 0)),
        ("tomorrow", "Berlin", datetime(2025, 6, 12, 10, 0)),
        ("in two hours", "UTC", datetime(2025, 6, 11, 15, 30)),
        ("thursday at 3 o'clock", "UTC", datetime(2025, 6, 12, 15, 0)),
    ],
)
def test_spoken_times_are_read_in_the_callers_zone(
    text: str, timezone: str, expected: datetime
) -> None:
    start = at(text, timezone)
    zone = find_timezone(timezone)
    assert zone is not None
    assert start == expected.replace(tzinfo=ZoneInfo(zone))
    assert str(start.tzinfo) == zone


@pytest.mark.parametrize(
    ("text", "zone", "hour"),
    [
        ("3pm Pacific tomorrow", "America/Los_Angeles", 15),
        ("tomorrow at 3pm EST", "America/New_York", 15),
        ("10am London time on Monday", "Europe/London", 10),
    ],
)
def test_a_zone_said_with_the_time_wins(text: str, zone: str, hour: int) -> None:
    start = at(text, "Asia/Tokyo")
    assert str(start.tzinfo) == zone
    assert start.hour == hour


def test_no_time_means_next_business_day_at_ten() -> None:
    assert at(None, "Europe/Paris") == datetime(2025, 6, 12, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    friday = datetime(2025, 6, 13, 16, 0, tzinfo=ZoneInfo("UTC"))
    monday = parse_preferred_time("  ", None, now=friday, default_timezone="America/Denver")
    assert monday == datetime(2025, 6, 16, 10, 0, tzinfo=ZoneInfo("America/Denver"))


@pytest.mark.parametrize(
    ("text", "timezone", "said"),
    [
        ("yesterday at 3pm", None, "already passed"),
        ("today at 9am", "UTC", "already passed"),
        ("saturday at 11am", None, "weekdays"),
        ("tomorrow at 7pm", None, "between 8am and 6pm"),
        ("tomorrow at 6:30am", None, "between 8am and 6pm"),
        ("banana", None, "didn't catch a day and time"),
        ("purple monkey dishwasher", None, "didn't catch a day and time"),
        ("tomorrow at 3pm", "Mars/Olympus_Mons", "time zone"),
        ("tomorrow at 3pm", "../../etc/passwd", "time zone"),
    ],
)
def test_unbookable_times_are_refused(text: str, timezone: str | None, said: str) -> None:
    with pytest.raises(BookingRefused) as caught:
        at(text, timezone)
    assert said in caught.value.spoken
    assert caught.value.retryable is False


def test_business_hours_can_be_changed() -> None:
    assert at("tomorrow at 7pm", "UTC", close_hour=20).hour == 19
    with pytest.raises(BookingRefused, match="outside 10:00-16:00"):
        at("tomorrow at 9am", "UTC", open_hour=10, close_hour=16)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_preferred_time("tomorrow at 3pm", "UTC", now=datetime(2025, 6, 11, 13, 30))


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("Pacific", "America/Los_Angeles"),
        ("eastern time", "America/New_York"),
        ("New York", "America/New_York"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("Atlantis", None),
    ],
)
def test_time_zone_names(name: str, zone: str | None) -> None:
    assert find_timezone(name) == zone
