"""The HTTP backend against a local server that checks the Unleash-style request shape."""

from __future__ import annotations

import socket

import pytest
from pydantic import SecretStr

from signalroom.config import KnowledgeSettings
from signalroom.errors import ConfigError
from signalroom.knowledge import (
    HttpKnowledgeBase,
    KnowledgeAuthError,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeUnavailable,
    build_knowledge_base,
)
from tests.knowledge.contract import KnowledgeContract
from tests.knowledge.stub_api import StubApi

TOKEN = "kb-secret-token-123"

UNLEASH_ANSWER = {
    "totalResults": 7,
    "requestId": "req-1",
    "results": [
        {
            "resource": {
                "title": "HIPAA",
                "description": "Long description",
                "url": "https://docs.example/security#hipaa",
                "labels": ["security"],
            },
            "snippet": "We sign a  HIPAA BAA\non Enterprise.",
            "highlights": ["HIPAA"],
        },
        {
            "resource": {"title": "Enterprise plan", "description": "Custom priced; BAA."},
            "snippet": "",
            "score": 0.42,
        },
    ],
}


def knowledge(api: StubApi, **extra: object) -> HttpKnowledgeBase:
    kb = build_knowledge_base(
        KnowledgeSettings(backend="http", url=api.url + "/e-api", token=SecretStr(TOKEN), **extra)  # type: ignore[arg-type]
    )
    assert isinstance(kb, HttpKnowledgeBase)
    return kb


async def test_request_shape_and_answer_mapping(stub_api: StubApi) -> None:
    stub_api.answer(200, UNLEASH_ANSWER)
    kb = knowledge(stub_api, account="agent@quillflow.example", assistant_id="asst-9")
    assert isinstance(kb, KnowledgeBase)

    result = await kb.search("  is it HIPAA compliant ", category="security", top_k=2)

    [request] = stub_api.requests
    assert (request.method, request.path) == ("POST", "/e-api/search")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["unleash-account"] == "agent@quillflow.example"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "query": "is it HIPAA compliant",
        "contentSearch": True,
        "semanticSearch": True,
        "paging": {"pageSize": 2, "pageNumber": 0},
        "filters": {"label": ["security"]},
        "assistantId": "asst-9",
    }

    assert result.query == "is it HIPAA compliant"
    assert result.category == "security"
    assert result.total == 7
    first, second = result.hits
    assert first.title == "HIPAA"
    assert first.text == "We sign a HIPAA BAA on Enterprise."
    assert first.category == "security"
    assert first.source == "https://docs.example/security#hipaa"
    assert first.score == 1.0  # no score in the answer: ranked 1st
    assert second.text == "Custom priced; BAA."  # description when the snippet is empty
    assert second.category == "security"  # no labels: the requested category
    assert second.score == 0.42
    await kb.aclose()


async def test_no_category_no_filter_and_optional_headers_left_out(stub_api: StubApi) -> None:
    stub_api.answer(200, {"totalResults": 0, "results": []})
    kb = knowledge(stub_api)
    result = await kb.search("pricing")
    [request] = stub_api.requests
    assert "filters" not in request.body
    assert "assistantId" not in request.body
    assert "unleash-account" not in request.headers
    assert result.hits == [] and result.total == 0
    await kb.aclose()


@pytest.mark.parametrize("status", [401, 403])
async def test_wrong_credentials_are_not_retryable(stub_api: StubApi, status: int) -> None:
    stub_api.answer(status, {"title": "Unauthorized"})
    kb = knowledge(stub_api)
    with pytest.raises(KnowledgeAuthError) as caught:
        await kb.search("pricing")
    assert caught.value.retryable is False
    assert "credentials" in str(caught.value)
    assert TOKEN not in str(caught.value) and TOKEN not in (caught.value.hint or "")
    await kb.aclose()


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_server_errors_are_retryable(stub_api: StubApi, status: int) -> None:
    stub_api.answer(status, {"detail": "busy"})
    kb = knowledge(stub_api)
    with pytest.raises(KnowledgeUnavailable) as caught:
        await kb.search("pricing")
    assert caught.value.retryable is True
    assert str(status) in str(caught.value)
    await kb.aclose()


async def test_timeout_is_retryable(stub_api: StubApi) -> None:
    stub_api.answer(200, UNLEASH_ANSWER, delay_s=1.0)
    kb = knowledge(stub_api, timeout_s=0.2)
    with pytest.raises(KnowledgeUnavailable, match="timed out"):
        await kb.search("pricing")
    await kb.aclose()


async def test_unreachable_server_is_retryable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kb = HttpKnowledgeBase(f"http://127.0.0.1:{port}", timeout_s=1.0)
    with pytest.raises(KnowledgeUnavailable, match="unreachable"):
        await kb.search("pricing")


async def test_bad_request_names_the_reason(stub_api: StubApi) -> None:
    stub_api.answer(
        400, {"type": "about:blank", "title": "Bad Request", "detail": "query too long"}
    )
    kb = knowledge(stub_api)
    with pytest.raises(KnowledgeError, match="query too long") as caught:
        await kb.search("pricing")
    assert caught.value.retryable is False
    await kb.aclose()


@pytest.mark.parametrize("body", ["<html>oops</html>", {"items": []}, {"results": "none"}])
async def test_unexpected_answers_are_errors(stub_api: StubApi, body: object) -> None:
    stub_api.answer(200, body)
    kb = knowledge(stub_api)
    with pytest.raises(KnowledgeError, match="unexpected body"):
        await kb.search("pricing")
    await kb.aclose()


async def test_client_is_reused_between_searches(stub_api: StubApi) -> None:
    stub_api.answer(200, UNLEASH_ANSWER)
    stub_api.answer(200, UNLEASH_ANSWER)
    kb = knowledge(stub_api)
    await kb.search("one")
    client = kb._client
    await kb.search("two")
    assert kb._client is client
    assert [r.body["query"] for r in stub_api.requests] == ["one", "two"]
    await kb.aclose()


def test_http_backend_needs_a_url() -> None:
    with pytest.raises(ConfigError, match=r"knowledge\.url"):
        build_knowledge_base(KnowledgeSettings(backend="http"))


def test_http_categories_come_from_settings() -> None:
    kb = build_knowledge_base(
        KnowledgeSettings(backend="http", url="http://127.0.0.1:9", categories=["pricing"])
    )
    assert kb.categories == ["pricing"]


class TestHttpKnowledgeContract(KnowledgeContract):
    @pytest.fixture(autouse=True)
    def _api(self, stub_api: StubApi) -> None:
        self.api = stub_api

    async def make_backend(self) -> KnowledgeBase:
        return knowledge(self.api)

    def expect_search(self) -> None:
        self.api.answer(200, UNLEASH_ANSWER)
