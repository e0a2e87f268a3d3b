"""The contract every destination keeps, written once and subclassed per backend.

A backend's test module subclasses :class:`DestinationContract` (class name starting with
``Test``) and implements ``make_destination``, ``make_broken`` (the same backend pointed at a
service that is down), ``held`` (the revision the receiving system holds for a record, read
from the system itself) and ``items`` (how many things it holds, so duplicates show).

The contract: writes are idempotent on (record_id, revision); the newest revision wins whatever
the order of arrival; ``check`` contacts the service and fails when it is down; ``erase``
removes exactly one person (``count`` saw the same) or, for a receiver that cannot search,
raises ``NotErasable`` with what to do; a failure is a typed ``DestinationError`` and a retry
after it applies once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from signalroom.destinations import AnalyzedSession, Destination
from signalroom.errors import DestinationError, SignalroomError
from signalroom.privacy.subject import Subject
from signalroom.seam import NotErasable
from tests.reliability.records import make_record


def session(
    email: str, *, revision: int = 0, tag: str | None = None, **extra: Any
) -> AnalyzedSession:
    """One analyzed call booked by ``email``; ``tag`` names the call (same tag, same record)."""
    return AnalyzedSession(
        make_record(tag or f"call-{uuid.uuid4().hex[:8]}", email=email, revision=revision, **extra)
    )


class DestinationContract:
    #: False for receivers that keep their own copy and cannot be searched.
    erasable: ClassVar[bool] = True

    async def make_destination(self) -> Destination:
        raise NotImplementedError

    async def make_broken(self) -> Destination:
        raise NotImplementedError

    async def held(self, destination: Destination, item: AnalyzedSession) -> int | None:
        raise NotImplementedError

    async def items(self, destination: Destination) -> int:
        raise NotImplementedError

    @pytest.fixture
    async def destination(self) -> AsyncIterator[Destination]:
        made = await self.make_destination()
        yield made
        await made.close()

    @pytest.fixture
    async def broken(self) -> AsyncIterator[Destination]:
        made = await self.make_broken()
        yield made
        await made.close()

    @staticmethod
    def email() -> str:
        return f"jane.{uuid.uuid4().hex[:6]}@acme.com"

    async def test_idempotent_on_record_id_and_revision(self, destination: Destination) -> None:
        item = session(self.email(), revision=1)
        await destination.write([item])
        stored = await self.items(destination)
        await destination.write([item])
        await destination.write([item, item])
        assert await self.items(destination) == stored
        assert await self.held(destination, item) == 1

    async def test_newest_revision_wins(self, destination: Destination) -> None:
        email, tag = self.email(), f"call-{uuid.uuid4().hex[:8]}"
        newer, older = session(email, revision=2, tag=tag), session(email, revision=1, tag=tag)
        await destination.write([newer])
        await destination.write([older])
        assert await self.held(destination, newer) == 2
        newest = session(email, revision=3, tag=tag)
        await destination.write([newest, older])
        assert await self.held(destination, newest) == 3

    async def test_check_contacts_the_service(
        self, destination: Destination, broken: Destination
    ) -> None:
        detail = await destination.check()
        assert isinstance(detail, str) and detail
        with pytest.raises(SignalroomError):
            await broken.check()

    async def test_erase_removes_one_person_exactly(self, destination: Destination) -> None:
        email = self.email()
        mine, theirs = session(email), session("x" + email)
        await destination.write([mine, theirs])
        subject = Subject.for_email(email.upper(), None)
        if not self.erasable:
            with pytest.raises(NotErasable, match=r"\w"):
                await destination.erase(subject)
            return
        found = await destination.count(subject)
        assert sum(found.values()) >= 1
        assert await destination.erase(subject) == found
        assert sum((await destination.count(subject)).values()) == 0
        assert await self.held(destination, mine) is None
        assert await self.held(destination, theirs) == 0

    async def test_failure_is_typed_and_a_retry_applies_once(
        self, destination: Destination, broken: Destination
    ) -> None:
        item = session(self.email())
        with pytest.raises(DestinationError):
            await broken.write([item])
        await destination.write([item])
        stored = await self.items(destination)
        await destination.write([item])
        assert await self.held(destination, item) == 0
        assert await self.items(destination) == stored
