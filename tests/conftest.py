"""Fixtures shared by every test package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


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
