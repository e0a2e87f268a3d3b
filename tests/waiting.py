"""Wait for a condition with a generous deadline, instead of sleeping for a guessed time.

A busy machine makes everything slower; a test that waits on what it needs stays green there
and costs nothing extra on a fast one. The deadline only stops a test that would hang.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE_S = 60.0


def wait_for(condition: Callable[[], object], what: str, *, timeout: float = DEADLINE_S) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.01)


async def async_wait_for(
    condition: Callable[[], object], what: str, *, timeout: float = DEADLINE_S
) -> None:
    """Like ``wait_for``, yielding to the event loop between polls."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.01)
