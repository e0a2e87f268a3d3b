"""The analytics service: consume records, analyze them, write destinations, ack."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .consumer import Service, ServiceStats
    from .metrics import ServiceMetrics
    from .runner import reanalyze, run_service

# Names load on first use, so importing the package (as the CLI does) stays cheap.
_EXPORTS = {
    "Service": ".consumer",
    "ServiceStats": ".consumer",
    "ServiceMetrics": ".metrics",
    "reanalyze": ".runner",
    "run_service": ".runner",
}
__all__ = [
    "Service",
    "ServiceMetrics",
    "ServiceStats",
    "reanalyze",
    "run_service",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
