"""Fixtures shared by every test package."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

DATA = Path(__file__).parent / "data"


# Hypothesis's default 200 ms deadline per example is a wall-clock check: a busy machine fails
# it. Speed is measured by `signalroom bench`; a hang is stopped by pytest-timeout.
settings.register_profile("signalroom", deadline=None)
settings.load_profile("signalroom")


@pytest.fixture
def seed_record_dict() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "seed-example-record.json").read_text())
    return data


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty deployment folder, also exported as SIGNALROOM_HOME."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("SIGNALROOM_HOME", str(path))
    return path


#: Skips that say something about the code under test, not about the machine: allowed in CI.
STRUCTURAL_SKIPS = ("use no short lease",)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """In CI (``CI`` set), a test that skips because the machine lacks something fails.

    Locally a missing server or binary skips with its reason; in CI everything the tests need
    is installed by ``.ci/run``, so a skip there would hide a test that never ran.
    """
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if not any(s in reason for s in STRUCTURAL_SKIPS):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where it must run: {reason}"
    return report
