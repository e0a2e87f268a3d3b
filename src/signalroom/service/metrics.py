"""Prometheus metrics of one service (prometheus-client), in a registry of its own.

A registry per service (not the process-global one) lets tests and embedders run several
services in one process without their counters colliding.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.processed = Counter(
            "signalroom_service_processed",
            "Records the warehouse accepted, by result (applied or stale).",
            ["result"],
            registry=r,
        )
        self.failed = Counter(
            "signalroom_service_failed",
            "Messages whose processing failed and were redelivered or dead-lettered.",
            registry=r,
        )
        self.dead_lettered = Counter(
            "signalroom_service_dead_lettered",
            "Messages sent to the dead-letter queue, by error type.",
            ["error"],
            registry=r,
        )
        self.deliveries = Counter(
            "signalroom_service_deliveries",
            "Deliveries to optional destinations, by destination and status.",
            ["destination", "status"],
            registry=r,
        )
        self.queue_lag = Gauge(
            "signalroom_service_queue_lag_seconds",
            "Age of the oldest message of the last batch (now minus its publish time).",
            registry=r,
        )
        self.record_lag = Gauge(
            "signalroom_service_record_lag_seconds",
            "Time from the end of the oldest call of the last batch to its processing.",
            registry=r,
        )
        self.in_flight = Gauge(
            "signalroom_service_in_flight_batches", "Batches being processed.", registry=r
        )
        self.destination_latency = Histogram(
            "signalroom_destination_latency_seconds",
            "Time one destination took to accept one batch.",
            ["destination"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
