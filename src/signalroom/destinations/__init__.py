"""Where analyzed sessions go: the warehouse (DuckDB, PostgreSQL), CRMs, analytics, webhooks."""

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult, Destination
from signalroom.destinations.factory import build_destinations
from signalroom.destinations.warehouse import (
    ApplyResult,
    DeliveryTask,
    Warehouse,
    duckdb_path,
    open_warehouse,
)

__all__ = [
    "AnalyzedSession",
    "AnalyzerResult",
    "ApplyResult",
    "DeliveryTask",
    "Destination",
    "Warehouse",
    "build_destinations",
    "duckdb_path",
    "open_warehouse",
]
