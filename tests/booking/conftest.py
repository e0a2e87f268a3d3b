from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.knowledge.stub_api import StubApi

#: Wednesday 11 June 2025, 13:30 UTC (09:30 in New York): every relative time is read from here.
NOW = datetime(2025, 6, 11, 13, 30, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
async def stub_api() -> AsyncIterator[StubApi]:
    api = StubApi()
    await api.start()
    yield api
    await api.close()
