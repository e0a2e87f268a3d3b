"""SignalState: merge rules, provenance, validation and size."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from signalroom.record import DiscoveredSignals
from signalroom.signals import SignalState

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(turn: int) -> datetime:
    return T0 + timedelta(seconds=10 * turn)


def test_update_returns_the_turns_own_signals() -> None:
    state = SignalState()
    state.update("we're a team of 12", at=at(0), turn_index=0)
    own = state.update("we use hubspot", at=at(1), turn_index=1)
    assert own["team_size"] is None
    assert own["integration_needs"] == ["hubspot"]
    assert state.snapshot()["team_size"] == 12


def test_latest_explicit_team_size_and_volume_win() -> None:
    state = SignalState()
    state.update("we're about 20 people and review 300 contracts a month", at=at(0), turn_index=0)
    state.update("sorry, it's more like 25 people", at=at(1), turn_index=1)
    state.update("and it's closer to 400 contracts a month", at=at(2), turn_index=2)
    snap = state.snapshot()
    assert snap["team_size"] == 25
    assert snap["monthly_volume"] == 400.0


def test_a_stale_report_does_not_overwrite_a_later_correction() -> None:
    state = SignalState()
    state.update("we have 30 employees", at=at(3), turn_index=3)
    state.apply("team_size", 20, at=at(4), turn_index=1)
    assert state.snapshot()["team_size"] == 30


def test_integrations_accumulate_sorted() -> None:
    state = SignalState()
    state.update("we use slack", at=at(0), turn_index=0)
    state.update("and salesforce, plus dropbox", at=at(1), turn_index=1)
    state.apply("integration_needs", "Google Drive", at=at(2))
    assert state.snapshot()["integration_needs"] == [
        "dropbox",
        "google_drive",
        "salesforce",
        "slack",
    ]


def test_urgency_keeps_the_strongest_level() -> None:
    state = SignalState()
    state.update("we're just exploring", at=at(0), turn_index=0)
    assert state.snapshot()["urgency"] == "low"
    state.update("well, we need it asap actually", at=at(1), turn_index=1)
    state.update("no rush on the training part", at=at(2), turn_index=2)
    assert state.snapshot()["urgency"] == "high"


def test_industry_first_self_description_kept_unless_corrected() -> None:
    state = SignalState()
    state.update("we're a law firm", at=at(0), turn_index=0)
    state.update("we're a software company too in a way", at=at(1), turn_index=1)
    assert state.snapshot()["industry"] == "legal"
    state.update("actually we're an insurance agency", at=at(2), turn_index=2)
    assert state.snapshot()["industry"] == "insurance"
    state.apply("industry", "real estate", at=at(3), turn_index=3)
    assert state.snapshot()["industry"] == "real_estate"


def test_both_channels_keep_provenance() -> None:
    state = SignalState()
    state.update("we're a team of 12", at=at(0), turn_index=0)
    state.apply("team_size", "12", at=at(1), turn_index=0)
    evidence = [e for e in state.evidence() if e.field == "team_size"]
    assert [(e.source, e.value) for e in evidence] == [("pattern", 12), ("tool", 12)]
    pattern = evidence[0]
    assert pattern.turn_index == 0
    assert pattern.at == at(0)
    assert pattern.span == "team of 12"


def test_replaced_value_drops_its_old_evidence() -> None:
    state = SignalState()
    state.update("we're 10 people", at=at(0), turn_index=0)
    state.update("we're 14 people", at=at(1), turn_index=1)
    evidence = [e for e in state.evidence() if e.field == "team_size"]
    assert [(e.value, e.turn_index) for e in evidence] == [(14, 1)]


def test_snapshot_validates_as_discovered_signals() -> None:
    state = SignalState()
    state.update(
        "we're a clinic, 12 staff, 300 intake forms a week, need it by end of month, we use gmail",
        at=at(0),
        turn_index=0,
    )
    model = DiscoveredSignals.model_validate(state.snapshot())
    assert model.industry == "healthcare"
    assert model.monthly_volume == 1300.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", 10, "unknown signal field"),
        ("team_size", "a lot", "needs a number"),
        ("team_size", -3, ">= 0"),
        ("team_size", 2.5, "whole number"),
        ("team_size", True, "needs a number"),
        ("monthly_volume", float("nan"), "finite"),
        ("urgency", "critical", "high, medium or low"),
        ("industry", "aerospace", "unknown industry"),
        ("integration_needs", "zoom", "not in the vocabulary"),
        ("integration_needs", "", "non-empty"),
    ],
)
def test_apply_rejects_bad_values_with_a_clear_error(
    field: str, value: object, message: str
) -> None:
    state = SignalState()
    with pytest.raises(ValueError, match=message):
        state.apply(field, value, at=at(0))
    assert state.snapshot()["integration_needs"] == []


def test_apply_rejects_an_unknown_source() -> None:
    with pytest.raises(ValueError, match="source"):
        SignalState().apply("urgency", "high", source="guess", at=at(0))


def test_state_of_a_30_turn_call_stays_small() -> None:
    state = SignalState()
    for turn in range(30):
        state.update(
            f"we're a law firm of {turn + 5} attorneys, we review {turn * 10 + 50} contracts a "
            "week in clio and outlook and slack, and we need it this week",
            at=at(turn),
            turn_index=turn,
        )
        state.apply("urgency", "high", at=at(turn), turn_index=turn)
    size = len(pickle.dumps(state))
    assert size < 4_096, size
    restored = pickle.loads(pickle.dumps(state))
    assert restored.snapshot() == state.snapshot()
    assert len(state.evidence()) <= 12
