"""The agent-side durable outbox: append in milliseconds, forward at-least-once.

``Outbox.append(record)`` stores a record version durably and never raises;
``Outbox.forward(transport)`` (one pass of ``sender.forward``) sends pending records;
``Forwarder`` (``background``) runs that on a thread of its own for the agent worker. See
docs/reliability.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .background import Forwarder
    from .sender import ForwardResult, forward
    from .store import Outbox, OutboxStatus

# Names load on first use, so importing the package (as the CLI does) stays cheap.
_EXPORTS = {
    "ForwardResult": ".sender",
    "forward": ".sender",
    "Forwarder": ".background",
    "Outbox": ".store",
    "OutboxStatus": ".store",
}
__all__ = [
    "ForwardResult",
    "Forwarder",
    "Outbox",
    "OutboxStatus",
    "forward",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
