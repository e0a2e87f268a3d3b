"""Lead-qualification signals: ``detect(text) -> Signals`` and the per-call ``SignalState``."""

from signalroom.signals.detector import (
    Detector,
    default_detector,
    detect,
    detect_with_evidence,
    warm,
)
from signalroom.signals.model import FIELDS, INDUSTRIES, URGENCY_LEVELS, Evidence, Signals
from signalroom.signals.state import SignalState
from signalroom.signals.vocabulary import Vocabulary, load_vocabulary

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
