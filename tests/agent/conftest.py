"""The local OpenAI-compatible server the agent tests talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .openai_stub import OpenAIStub


@pytest.fixture
def openai_stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture
def keyed_stub() -> Iterator[OpenAIStub]:
    """A server that wants the key ``sk-right``."""
    with OpenAIStub(api_key="sk-right") as stub:
        yield stub
