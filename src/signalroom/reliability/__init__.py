"""Erasure and retention across every place a record rests, and the pipeline soak test.

- :mod:`signalroom.reliability.erasure`: find and delete a person's or a call's data (or
  everything past the retention period) in every store, through each backend's ``erase``
  (``signalroom forget``);
- :mod:`signalroom.reliability.soak`: many records through outbox → queue → services →
  warehouse with faults injected, counted end to end (``signalroom soak``).
"""

from signalroom.reliability.erasure import ErasureReport, forget

__all__ = ["ErasureReport", "forget"]
