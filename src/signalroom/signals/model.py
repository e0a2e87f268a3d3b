"""The five qualification signals of one utterance, and the evidence behind each value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

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


# The hot-path classes below write their own ``__init__`` (``init=False``): mypyc compiles an
# explicit one to native code, while a dataclass-generated one stays interpreted (a frozen
# one costs about 2.7 us per object, most of a short utterance). See native.py.


@dataclass(frozen=True, slots=True, init=False)
class Signals:
    """What one utterance says about the lead; ``None`` (or ``[]``) when it says nothing."""

    team_size: int | None = None
    monthly_volume: float | None = None
    integration_needs: list[str] = field(default_factory=list)
    urgency: str | None = None
    industry: str | None = None

    def __init__(
        self,
        team_size: int | None = None,
        monthly_volume: float | None = None,
        integration_needs: list[str] | None = None,
        urgency: str | None = None,
        industry: str | None = None,
    ) -> None:
        # frozen: the dataclass's __setattr__ refuses; object's is what its own __init__ uses
        object.__setattr__(self, "team_size", team_size)
        object.__setattr__(self, "monthly_volume", monthly_volume)
        object.__setattr__(
            self, "integration_needs", [] if integration_needs is None else integration_needs
        )
        object.__setattr__(self, "urgency", urgency)
        object.__setattr__(self, "industry", industry)

    def __reduce__(
        self,
    ) -> tuple[type[Signals], tuple[int | None, float | None, list[str], str | None, str | None]]:
        # mypyc's frozen classes refuse pickle's field-by-field restore: rebuild by __init__
        fields = (self.team_size, self.monthly_volume, self.integration_needs, self.urgency)
        return (Signals, (*fields, self.industry))

    def to_dict(self) -> dict[str, Any]:
        """Exactly the five spec keys, in spec order."""
        return {
            "team_size": self.team_size,
            "monthly_volume": self.monthly_volume,
            "integration_needs": list(self.integration_needs),
            "urgency": self.urgency,
            "industry": self.industry,
        }


@dataclass(slots=True, init=False)
class Found:
    """A value and the tokens ``[i, j)`` it came from; becomes :class:`Evidence` on request."""

    field: str
    value: int | float | str
    i: int
    j: int

    def __init__(self, field: str, value: int | float | str, i: int, j: int) -> None:
        self.field = field
        self.value = value
        self.i = i
        self.j = j


@dataclass(frozen=True, slots=True)
class Evidence:
    """One detected value and the words it came from (``span`` is character offsets)."""

    field: str
    value: int | float | str
    span: tuple[int, int]
    text: str

    def __reduce__(
        self,
    ) -> tuple[type[Evidence], tuple[str, int | float | str, tuple[int, int], str]]:
        # mypyc's frozen classes refuse pickle's field-by-field restore: rebuild by __init__
        return (Evidence, (self.field, self.value, self.span, self.text))
