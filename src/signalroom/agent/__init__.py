"""The LiveKit sales agent: instructions, tools (knowledge search, booking, signals, notes).

``SalesAgent`` runs in any ``AgentSession``; ``signalroom.agent.call`` assembles one call (agent,
recorder, outbox) for both ``signalroom.agent.worker``, the LiveKit worker behind
``signalroom agent console|start|dev|download-files``, and ``signalroom agent chat``. Names load
lazily so the CLI starts without importing LiveKit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .instructions import build_instructions, opening_line
    from .sales_agent import SIGNAL_FIELDS, SalesAgent, normalize_signal

_EXPORTS = {
    "SIGNAL_FIELDS": ".sales_agent",
    "SalesAgent": ".sales_agent",
    "normalize_signal": ".sales_agent",
    "build_instructions": ".instructions",
    "opening_line": ".instructions",
}
__all__ = ["SIGNAL_FIELDS", "SalesAgent", "build_instructions", "normalize_signal", "opening_line"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
