"""Lead-qualification signals: ``detect(text) -> Signals`` and the per-call ``SignalState``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from signalroom.signals import native

if TYPE_CHECKING:
    from .detector import Detector, default_detector, detect, detect_with_evidence, warm
    from .model import FIELDS, INDUSTRIES, URGENCY_LEVELS, Evidence, Signals
    from .state import SignalState
    from .vocabulary import Vocabulary, load_vocabulary

# Before any detector module loads: compiled or source (see native.py).
native.install()

# Names load on first use, so importing the package (as the CLI does) stays cheap.
_EXPORTS = {
    "Detector": ".detector",
    "default_detector": ".detector",
    "detect": ".detector",
    "detect_with_evidence": ".detector",
    "warm": ".detector",
    "FIELDS": ".model",
    "INDUSTRIES": ".model",
    "URGENCY_LEVELS": ".model",
    "Evidence": ".model",
    "Signals": ".model",
    "SignalState": ".state",
    "Vocabulary": ".vocabulary",
    "load_vocabulary": ".vocabulary",
}
__all__ = [
    "FIELDS",
    "INDUSTRIES",
    "URGENCY_LEVELS",
    "Detector",
    "Evidence",
    "SignalState",
    "Signals",
    "Vocabulary",
    "default_detector",
    "detect",
    "detect_with_evidence",
    "load_vocabulary",
    "warm",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
