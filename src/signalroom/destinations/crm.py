"""What every CRM destination shares: who a call is about, what to write, and the overwrite rule.

The rule (:func:`plan_lead_update`): a CRM field is written only when it is empty or still
holds what signalroom last wrote there (kept as JSON in a field of the CRM record, see
:class:`SyncState`). A value a person typed is never overwritten; once a person changes a
field, signalroom leaves it alone until it is cleared. Missing signals never clear a field.
Salesforce and HubSpot both follow it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from signalroom.destinations.base import AnalyzedSession

#: What a CRM field map can name: record signals and analyzer results (docs/destinations.md).
CRM_SOURCES = (
    "team_size",
    "industry",
    "monthly_volume",
    "urgency",
    "integration_needs",
    "grade",
    "score",
    "qualified",
    "outcome",
)


@dataclass(slots=True)
class SyncState:
    """What signalroom last wrote to a CRM record (JSON kept in a field of that record)."""

    record_id: str | None = None
    revision: int = -1
    start_time: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: object) -> SyncState:
        if not isinstance(raw, str) or not raw.strip():
            return cls()
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()  # a person edited the field: treat every value as theirs
        if not isinstance(data, dict):
            return cls()
        fields = data.get("fields")
        try:
            revision = int(data.get("revision", -1))
            start = data.get("start_time")
            if start is not None:
                as_utc(start)
        except (TypeError, ValueError):
            return cls()
        return cls(
            record_id=data.get("record_id"),
            revision=revision,
            start_time=start,
            fields=fields if isinstance(fields, dict) else {},
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "record_id": self.record_id,
                "revision": self.revision,
                "start_time": self.start_time,
                "fields": self.fields,
            },
            sort_keys=True,
        )


def booking_email(session: AnalyzedSession) -> str | None:
    """The last booking call's email (a successful booking wins over a failed one)."""
    calls = [c for c in session.record.tool_calls if c.customer_email]
    if not calls:
        return None
    succeeded = [c for c in calls if c.success]
    chosen = (succeeded or calls)[-1]
    return chosen.customer_email


def booking_name(session: AnalyzedSession) -> str | None:
    names = [c.customer_name for c in session.record.tool_calls if c.customer_name]
    return names[-1] if names else None


def signal_values(session: AnalyzedSession) -> dict[str, Any]:
    """Every value a CRM field map can name, ready to write (None = not known)."""
    signals = session.record.discovered_signals
    score = session.results.get("lead_score")
    outcome = session.results.get("outcome")
    score_result = score.result if score else {}
    raw_score = score_result.get("score")
    return {
        "team_size": signals.team_size,
        "industry": signals.industry.replace("_", " ").title() if signals.industry else None,
        "monthly_volume": signals.monthly_volume,
        "urgency": signals.urgency,
        "integration_needs": "; ".join(signals.integration_needs) or None,
        "grade": score_result.get("grade"),
        "score": round(float(raw_score), 1) if raw_score is not None else None,
        "qualified": score_result.get("qualified"),
        "outcome": outcome.result.get("outcome") if outcome else None,
    }


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _same(a: object, b: object) -> bool:
    """CRMs echo numbers as floats or text (200 → 200.0, "200") and may trim text."""
    if _empty(a) or _empty(b):
        return _empty(a) and _empty(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a).strip() == str(b).strip()


def plan_lead_update(
    current: dict[str, Any], last: SyncState, desired: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The overwrite rule: (fields to write, fields signalroom now owns, fields a person owns)."""
    to_write: dict[str, Any] = {}
    owned: dict[str, Any] = {}
    kept: list[str] = []
    for name, value in desired.items():
        have = current.get(name)
        if value is None:
            if name in last.fields and _same(have, last.fields[name]):
                owned[name] = last.fields[name]
            continue
        if _same(have, value):
            owned[name] = value
        elif _empty(have) or (name in last.fields and _same(have, last.fields[name])):
            to_write[name] = value
            owned[name] = value
        else:
            kept.append(name)
    return to_write, owned, kept


def call_summary(session: AnalyzedSession) -> str:
    lines: list[str] = []
    outcome = session.results.get("outcome")
    if outcome and outcome.result.get("summary"):
        lines.append(str(outcome.result["summary"]))
    score = session.results.get("lead_score")
    if score:
        res = score.result
        lines.append(f"Lead score: {res.get('score')} (grade {res.get('grade')})")
        lines.extend(f"- {reason}" for reason in res.get("reasons", [])[:10])
    rec = session.record
    lines.append(f"signalroom record {rec.record_id} revision {rec.revision}")
    return "\n".join(lines)[:32_000]


def as_utc(value: str | datetime) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)
