"""Simulated sales calls through the real LiveKit ``AgentSession`` (used by demo, bench, tests).

``run_call(turns, settings=...)`` runs one scripted call and returns its final record;
``run_calls(generate_scenarios(n, seed), settings=...)`` runs many. Names load lazily so the
CLI starts without importing LiveKit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import run_call, run_calls
    from .scenarios import Persona, Scenario, generate_scenarios

_EXPORTS = {
    "run_call": ".runner",
    "run_calls": ".runner",
    "Persona": ".scenarios",
    "Scenario": ".scenarios",
    "generate_scenarios": ".scenarios",
}
__all__ = ["Persona", "Scenario", "generate_scenarios", "run_call", "run_calls"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
