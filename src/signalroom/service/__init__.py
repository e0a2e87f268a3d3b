"""The analytics service: consume records, analyze them, write destinations, ack."""

from signalroom.service.consumer import Service, ServiceStats
from signalroom.service.metrics import ServiceMetrics
from signalroom.service.runner import reanalyze, run_service

__all__ = ["Service", "ServiceMetrics", "ServiceStats", "reanalyze", "run_service"]
