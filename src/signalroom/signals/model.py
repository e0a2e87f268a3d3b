"""The five qualification signals of one utterance, and the evidence behind each value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

from signalroom.industries import Industry

FIELDS: tuple[str, ...] = (
    "team_size",
    "monthly_volume",
    "integration_needs",
    "urgency",
    "industry",
)
Field = Literal["team_size", "monthly_volume", "integration_needs", "urgency", "industry"]
URGENCY_LEVELS: tuple[str, ...] = ("low", "medium", "high")
#: The spec's sixteen labels, in the record schema's order (one list for both).
INDUSTRIES: tuple[str, ...] = get_args(Industry)


@dataclass(frozen=True, slots=True)
class Signals:
    """What one utterance says about the lead; ``None`` (or ``[]``) when it says nothing."""

    team_size: int | None = None
    monthly_volume: float | None = None
    integration_needs: list[str] = field(default_factory=list)
    urgency: str | None = None
    industry: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Exactly the five spec keys, in spec order."""
        return {
            "team_size": self.team_size,
            "monthly_volume": self.monthly_volume,
            "integration_needs": list(self.integration_needs),
            "urgency": self.urgency,
            "industry": self.industry,
        }


class Found(NamedTuple):
    """A value and the tokens ``[i, j)`` it came from; becomes :class:`Evidence` on request."""

    field: str
    value: int | float | str
    i: int
    j: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """One detected value and the words it came from (``span`` is character offsets)."""

    field: str
    value: int | float | str
    span: tuple[int, int]
    text: str
