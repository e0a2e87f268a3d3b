"""The contract every booking backend keeps, written once and subclassed per backend.

A backend's test class implements ``make_backend`` (and ``expect_booking`` /
``expect_check`` to script a stand-in server's answers). The contract: a booking comes back
for the person and the instant requested; ``check`` contacts the calendar; ``erase`` removes
exactly one person's bookings, or raises ``NotErasable`` saying where to erase instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest

from signalroom.booking import BookingBackend, BookingRequest
from signalroom.privacy.subject import Subject
from signalroom.seam import NotErasable

START = datetime(2025, 6, 12, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))


def request(email: str = "maria@acme.it", start: datetime = START) -> BookingRequest:
    return BookingRequest("Maria Rossi", email, start, "Europe/Rome", None)


class BookingContract:
    erasable: ClassVar[bool] = True

    async def make_backend(self) -> BookingBackend:
        raise NotImplementedError

    def expect_booking(self, req: BookingRequest) -> None:
        """Script the answer to one booking (a stand-in server); nothing for local stores."""

    def expect_check(self) -> None:
        """Script the answer to one ``check``."""

    @pytest.fixture
    async def backend(self) -> AsyncIterator[BookingBackend]:
        made = await self.make_backend()
        yield made
        await made.close()

    async def test_books_the_person_and_instant_requested(self, backend: BookingBackend) -> None:
        req = request()
        self.expect_booking(req)
        booking = await backend.book(req)
        assert (booking.name, booking.email) == (req.name, req.email)
        assert booking.start == req.start and booking.end > booking.start
        assert booking.booking_id

    async def test_check_contacts_the_calendar(self, backend: BookingBackend) -> None:
        self.expect_check()
        detail = await backend.check()
        assert isinstance(detail, str) and detail

    async def test_erase_removes_one_person_exactly(self, backend: BookingBackend) -> None:
        mine, theirs = request("maria@acme.it"), request("xmaria@acme.it", START + timedelta(1))
        for req in (mine, theirs):
            self.expect_booking(req)
            await backend.book(req)
        subject = Subject.for_email("Maria@Acme.it", None)
        if not self.erasable:
            with pytest.raises(NotErasable, match=r"\w"):
                await backend.erase(subject)
            return
        found = await backend.count(subject)
        assert found["bookings"] == 1
        assert await backend.erase(subject) == found
        assert (await backend.count(subject))["bookings"] == 0
        assert (await backend.count(Subject.for_email("xmaria@acme.it", None)))["bookings"] == 1
