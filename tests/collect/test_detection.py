"""Signal detection deferred from the session's callbacks: same results, nothing left behind."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from signalroom.collect.detection import MAX_QUEUED, SignalQueue
from signalroom.signals import SignalState

_TURNS = [
    "Hi, we're a law firm with 12 people.",
    "We send about 300 contracts a month and use Salesforce.",
    "Actually we're 15 now, and this is urgent.",
    "Okay.",
]


def _feed(target: Any) -> None:
    for i, text in enumerate(_TURNS):
        target.merge_text(text, at=100.0 + i, turn_index=i)
        if i == 1:
            target.apply("urgency", "high", source="tool", at=101.5, turn_index=1)


def _inline() -> tuple[dict[str, Any], list[Any]]:
    state = SignalState()
    _feed(state)
    return state.snapshot(), state.evidence_rows()


async def test_deferred_detection_gives_the_inline_results() -> None:
    errors: list[str] = []
    queue = SignalQueue(errors.append)
    _feed(queue)
    await asyncio.sleep(0)  # the loop runs the deferred pass
    assert queue.read() == _inline() and not errors


async def test_a_read_before_the_deferred_pass_includes_the_last_turn() -> None:
    queue = SignalQueue(lambda _where: None)
    _feed(queue)
    signals, _ = queue.read()  # same callback: the deferred pass has not run yet
    assert (signals, _) == _inline()
    assert signals["team_size"] == 15


def test_outside_a_loop_inputs_apply_at_once() -> None:
    queue = SignalQueue(lambda _where: None)
    _feed(queue)
    assert queue.read() == _inline()


async def test_a_backlog_is_applied_by_the_caller_never_dropped() -> None:
    queue = SignalQueue(lambda _where: None)
    for i in range(MAX_QUEUED + 5):
        queue.merge_text("We're a team of 12.", at=float(i), turn_index=i)
    assert len(queue._ops) <= MAX_QUEUED
    state = SignalState()
    for i in range(MAX_QUEUED + 5):
        state.merge_text("We're a team of 12.", at=float(i), turn_index=i)
    assert queue.read() == (state.snapshot(), state.evidence_rows())


async def test_a_failing_input_is_counted_and_the_rest_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: SignalState, *args: object, **kwargs: object) -> None:
        raise RuntimeError("tool input exploded")

    monkeypatch.setattr(SignalState, "apply", broken)
    errors: list[str] = []
    queue = SignalQueue(errors.append)
    queue.apply("team_size", 40, source="tool", at=1.0, turn_index=0)
    queue.merge_text("We're a team of 12.", at=2.0, turn_index=1)
    await asyncio.sleep(0)
    signals, _ = queue.read()
    assert signals["team_size"] == 12 and errors == ["signals"]


async def test_an_observer_is_told_each_deferred_pass() -> None:
    """Benchmarks count the deferred pass in a turn's cost: it runs on the loop too."""
    passes: list[tuple[str, float]] = []
    observed = SignalQueue(lambda _where: None, lambda name, s: passes.append((name, s)))
    _feed(observed)
    await asyncio.sleep(0)  # the loop runs the one pass the inputs scheduled
    assert [name for name, _ in passes] == ["signals"]
    assert passes[0][1] > 0
    assert observed.read() == _inline()
