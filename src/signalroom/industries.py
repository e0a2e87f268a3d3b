"""The signals spec's sixteen industry labels, shared by the record schema and the detector.

A module of its own so that ``signalroom detect`` loads the detector without building the
record's pydantic models.
"""

from __future__ import annotations

from typing import Literal

Industry = Literal[
    "legal",
    "healthcare",
    "finance",
    "insurance",
    "real_estate",
    "education",
    "government",
    "manufacturing",
    "retail",
    "technology",
    "construction",
    "logistics",
    "hospitality",
    "nonprofit",
    "media",
    "energy",
]
