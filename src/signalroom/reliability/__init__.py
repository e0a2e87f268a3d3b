"""Erasure and retention across every place a record rests (``signalroom forget``).

:mod:`signalroom.reliability.erasure` finds and deletes a person's or a call's data (or
everything past the retention period) in every store, through each backend's ``erase``. The
load harness (``signalroom soak``) lives beside the other benchmarks, in ``bench/soak.py``.
"""

from signalroom.reliability.erasure import ErasureReport, forget

__all__ = ["ErasureReport", "forget"]
