"""Where analyzed sessions go: the warehouse (DuckDB, PostgreSQL), CRMs, analytics, webhooks.

Backends are found by name or URL scheme in ``registry``; this package imports none of them.
"""

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult, Destination
from signalroom.destinations.registry import build_destinations, open_warehouse
from signalroom.destinations.warehouse import ApplyResult, DeliveryTask, Warehouse

__all__ = [
    "AnalyzedSession",
    "AnalyzerResult",
    "ApplyResult",
    "DeliveryTask",
    "Destination",
    "Warehouse",
    "build_destinations",
    "open_warehouse",
]
