"""The outbox's ``erase``/``count`` for ``signalroom forget``: every version, in any state.

Opened on its own connection (not through :class:`~signalroom.outbox.store.Outbox`), so erasing
never creates an outbox where there is none and never takes part in forwarding. Deleted bytes
are zeroed (``secure_delete``) and the write-ahead log folded in and truncated, so nothing
erased lingers on disk.
"""

from __future__ import annotations

import asyncio
import sqlite3
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
        db = sqlite3.connect(self.path, timeout=10.0)
        try:
            db.execute("PRAGMA secure_delete = ON")
            with db:
                rows = db.execute(
                    "SELECT seq, record_id, created_at, payload FROM versions"
                ).fetchall()
                hits = [
                    (seq, rid)
                    for seq, rid, created, payload in rows
                    if subject.matches_body(bytes(payload), from_epoch(created))
                ]
                if delete:
                    db.executemany("DELETE FROM versions WHERE seq = ?", [(s,) for s, _ in hits])
            if delete and hits:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        return {"versions": len(hits), "records": len({rid for _, rid in hits})}
