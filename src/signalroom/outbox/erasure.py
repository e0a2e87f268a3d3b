"""The outbox as a store ``signalroom forget`` can search: the seam's ``erase``/``count``.

The versions table belongs to :class:`~signalroom.outbox.store.Outbox`; this adapter only
hands it the subject's matching rule (``Outbox.erase_matching`` / ``count_matching``), and
never creates an outbox where there is none.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from signalroom.privacy.subject import Subject, from_epoch
from signalroom.seam import Counts


class OutboxEraser:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def check(self) -> str:
        return f"{self.path} ({'present' if self.path.exists() else 'absent'})"

    async def close(self) -> None:
        return None

    async def erase(self, subject: Subject) -> Counts:
        return await asyncio.to_thread(self._matching, subject, True)

    async def count(self, subject: Subject) -> Counts:
        return await asyncio.to_thread(self._matching, subject, False)

    def _matching(self, subject: Subject, delete: bool) -> Counts:
        if not self.path.exists():
            return {"versions": 0, "records": 0}
        from signalroom.outbox.store import Outbox

        def match(payload: bytes, created_at: float) -> bool:
            return subject.matches_body(payload, from_epoch(created_at))

        outbox = Outbox(self.path)
        try:
            return outbox.erase_matching(match) if delete else outbox.count_matching(match)
        finally:
            outbox.close()
