"""Who hears of a damaged outbox moved aside (see :mod:`signalroom.outbox.damage`).

Kept apart from the damage check, with no imports of its own, so the ``signalroom`` command
can listen from its first line without paying for SQLite at start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: Called with each :class:`~signalroom.outbox.damage.Damage` (its ``line()`` is one sentence).
Listener = Callable[[Any], None]
_listeners: list[Listener] = []
_lock = threading.Lock()


def add_listener(listener: Listener) -> None:
    """Call ``listener`` with every damaged outbox moved aside in this process."""
    with _lock:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def notify(damage: Any) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(damage)
