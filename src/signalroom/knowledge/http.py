"""Search through an enterprise search API shaped like Unleash's ``POST /search``.

Request (JSON, ``Authorization: Bearer <token>``, optional ``unleash-account`` header)::

    {"query": "...", "contentSearch": true, "semanticSearch": true,
     "paging": {"pageSize": top_k, "pageNumber": 0},
     "filters": {"label": ["<category>"]},          # only when a category is given
     "assistantId": "..."}                          # only when configured

Response::

    {"totalResults": 42, "requestId": "...",
     "results": [{"resource": {"title": "...", "description": "...", "url": "...",
                               "labels": ["pricing"]},
                  "snippet": "...", "highlights": ["..."], "score": 0.8}]}

``score`` is optional: without it, hits are scored by rank (1, 1/2, 1/3, ...). httpx does the
HTTP; one client per event loop keeps connections warm between searches.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import SecretStr

from signalroom.config import KnowledgeSettings
from signalroom.errors import ConfigError
from signalroom.http_status import Failure, error_text, failure
from signalroom.knowledge.base import (
    Hit,
    HoldsNoPersonalData,
    KnowledgeAuthError,
    KnowledgeError,
    KnowledgeUnavailable,
    SearchResult,
    check_query,
)


class HttpKnowledgeBase(HoldsNoPersonalData):
    """A remote search API; ``categories`` lists the labels the caller configured."""

    def __init__(
        self,
        url: str,
        *,
        token: SecretStr | None = None,
        timeout_s: float = 3.0,
        account: str | None = None,
        assistant_id: str | None = None,
        categories: list[str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._endpoint = url.rstrip("/") + "/search"
        self._token = token
        self._timeout = timeout_s
        self._account = account
        self._assistant_id = assistant_id
        self._categories = list(categories or [])
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def categories(self) -> list[str]:
        return list(self._categories)

    async def search(self, query: str, category: str | None = None, top_k: int = 3) -> SearchResult:
        text = check_query(query, top_k)
        body: dict[str, Any] = {
            "query": text,
            "contentSearch": True,
            "semanticSearch": True,
            "paging": {"pageSize": top_k, "pageNumber": 0},
        }
        if category:
            body["filters"] = {"label": [category]}
        if self._assistant_id:
            body["assistantId"] = self._assistant_id
        response = await self._post(body)
        return _parse(response, text, category, top_k)

    async def check(self) -> str:
        """One real search (a page of one result): reachable, and the token accepted."""
        result = await self.search("pricing", top_k=1)
        return f"{self._endpoint} answered ({result.total} results for a test query)"

    async def close(self) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http().post(self._endpoint, json=body, headers=self._headers())
        except httpx.TimeoutException:
            raise KnowledgeUnavailable(
                f"knowledge search at {self._endpoint} timed out after {self._timeout}s"
            ) from None
        except httpx.HTTPError as exc:
            raise KnowledgeUnavailable(
                f"knowledge search at {self._endpoint} is unreachable: {exc}"
            ) from None
        status = response.status_code
        kind = failure(status)
        if kind is Failure.AUTH:
            raise KnowledgeAuthError(
                f"knowledge search at {self._endpoint} refused the credentials (HTTP {status})",
                hint="check knowledge.token (SIGNALROOM_KNOWLEDGE__TOKEN) and knowledge.account",
            )
        if kind is Failure.UNAVAILABLE:
            raise KnowledgeUnavailable(
                f"knowledge search at {self._endpoint} answered HTTP {status}; try again later"
            )
        if kind is Failure.REFUSED:
            raise KnowledgeError(
                f"knowledge search at {self._endpoint} rejected the query "
                f"(HTTP {status}): {error_text(response)}"
            )
        return response

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        if self._account:
            headers["unleash-account"] = self._account
        return headers

    def _http(self) -> httpx.AsyncClient:
        # An AsyncClient belongs to the loop it first ran on; tests and workers may use several.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
            self._client_loop = loop
        return self._client


def _parse(response: httpx.Response, query: str, category: str | None, top_k: int) -> SearchResult:
    try:
        payload = response.json()
        results = payload["results"]
        if not isinstance(results, list):
            raise TypeError("results is not a list")
        hits = [_hit(item, rank, category) for rank, item in enumerate(results[:top_k], 1)]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeError(
            f"knowledge search answered with an unexpected body ({exc}): {response.text[:200]!r}"
        ) from None
    total = payload.get("totalResults", payload.get("total", len(results)))
    return SearchResult(
        query=query, category=category, hits=hits, total=int(total) if total else len(results)
    )


def _hit(item: dict[str, Any], rank: int, category: str | None) -> Hit:
    resource = item.get("resource") or {}
    labels = resource.get("labels") or []
    text = item.get("snippet") or resource.get("description") or ""
    score = item.get("score")
    return Hit(
        title=str(resource.get("title") or item.get("title") or "Untitled"),
        text=" ".join(str(text).split()),
        category=str(
            resource.get("category") or (labels[0] if labels else None) or category or "general"
        ),
        score=float(score) if score is not None else round(1.0 / rank, 4),
        source=str(resource.get("url") or resource.get("link") or resource.get("id") or ""),
    )


def build(settings: KnowledgeSettings) -> HttpKnowledgeBase:
    """``knowledge.backend = "http"``; a ConfigError names what is missing."""
    if not settings.url:
        raise ConfigError(
            "knowledge.backend is 'http' but knowledge.url is not set",
            hint="set SIGNALROOM_KNOWLEDGE__URL (and SIGNALROOM_KNOWLEDGE__TOKEN)",
        )
    return HttpKnowledgeBase(
        settings.url,
        token=settings.token,
        timeout_s=settings.timeout_s,
        account=settings.account,
        assistant_id=settings.assistant_id,
        categories=settings.categories,
    )
