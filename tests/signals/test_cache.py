"""The per-user cache of the default detector's tables: same results, never trusted blindly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalroom.signals import cache, native
from signalroom.signals.detector import Detector, default_detector
from signalroom.signals.vocabulary import BUNDLED_FILES

ENTRY = cache.key(BUNDLED_FILES, compiled=native.running_compiled())

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    default_detector.cache_clear()
    yield tmp_path / "signalroom"
    default_detector.cache_clear()


def _lines() -> list[str]:
    rows = (DATA / "signals-dev-real.jsonl").read_text().splitlines()
    return [json.loads(row)["text"] for row in rows if row.strip()][:120]


def test_a_cached_detector_gives_the_same_results_as_a_built_one(cache_home: Path) -> None:
    built = Detector()
    first = default_detector()  # builds and stores
    assert len(list(cache_home.glob("detector-*.pickle"))) == 1
    default_detector.cache_clear()
    loaded = default_detector()  # loads
    assert loaded is not first
    for text in _lines():
        expected = built.detect_with_evidence(text)
        assert loaded.detect_with_evidence(text) == expected
        assert first.detect_with_evidence(text) == expected


def test_a_damaged_entry_is_rebuilt_not_used(cache_home: Path) -> None:
    default_detector()
    (entry,) = cache_home.glob("detector-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert cache.load(ENTRY) is None
    default_detector.cache_clear()
    detector = default_detector()
    assert detector.detect("we have 40 people").team_size == 40
    assert cache.load(ENTRY) is not None  # rewritten


def test_an_entry_others_can_write_is_not_loaded(cache_home: Path) -> None:
    default_detector()
    (entry,) = cache_home.glob("detector-*.pickle")
    assert cache.load(ENTRY) is not None
    entry.chmod(0o666)
    assert cache.load(ENTRY) is None


def test_an_unwritable_cache_folder_only_costs_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where a folder should be
    default_detector.cache_clear()
    try:
        assert default_detector().detect("a team of 12").team_size == 12
    finally:
        default_detector.cache_clear()
