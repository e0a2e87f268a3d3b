"""Erasure and retention across every place a record rests, and the pipeline soak test.

- :mod:`signalroom.reliability.erasure`: find and delete a person's or a call's data (or
  everything past the retention period) in the outbox, the queue and its dead letters, the
  warehouse and the local booking store (``signalroom forget``);
- :mod:`signalroom.reliability.soak`: many records through outbox → queue → services →
  warehouse with faults injected, counted end to end (``signalroom soak``).
"""

from signalroom.reliability.erasure import (
    ErasureReport,
    Subject,
    erase_bookings,
    erase_outbox,
    erase_queue,
    erase_warehouse,
    forget,
)

__all__ = [
    "ErasureReport",
    "Subject",
    "erase_bookings",
    "erase_outbox",
    "erase_queue",
    "erase_warehouse",
    "forget",
]
