from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.knowledge.stub_api import StubApi


@pytest.fixture
async def stub_api() -> AsyncIterator[StubApi]:
    api = StubApi()
    await api.start()
    yield api
    await api.close()
