"""The contract every knowledge backend keeps, written once and subclassed per backend.

A backend's test class implements ``make_backend`` and, for a stand-in server, scripts each
answer in ``expect_search``. The contract: a search answers with at most ``top_k`` passages and
a total that counts them; an empty query is refused before any request; ``check`` contacts the
service; the backend holds no personal data, so ``erase``/``count`` find nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from signalroom.knowledge import KnowledgeBase, KnowledgeError, SearchResult
from signalroom.privacy.subject import Subject


class KnowledgeContract:
    async def make_backend(self) -> KnowledgeBase:
        raise NotImplementedError

    def expect_search(self) -> None:
        """Script one search answer (a stand-in server); nothing for local indexes."""

    @pytest.fixture
    async def kb(self) -> AsyncIterator[KnowledgeBase]:
        made = await self.make_backend()
        yield made
        await made.close()

    async def test_search_answers_within_top_k(self, kb: KnowledgeBase) -> None:
        self.expect_search()
        result = await kb.search("how much does the enterprise plan cost", top_k=2)
        assert isinstance(result, SearchResult)
        assert 1 <= len(result.hits) <= 2 and result.total >= len(result.hits)
        assert all(hit.title and hit.text for hit in result.hits)

    async def test_an_empty_query_is_refused(self, kb: KnowledgeBase) -> None:
        with pytest.raises(KnowledgeError, match="empty"):
            await kb.search("   ")

    async def test_check_contacts_the_service(self, kb: KnowledgeBase) -> None:
        self.expect_search()
        detail = await kb.check()
        assert isinstance(detail, str) and detail

    async def test_holds_no_personal_data(self, kb: KnowledgeBase) -> None:
        subject = Subject.for_email("jane@acme.com", None)
        assert await kb.count(subject) == {} and await kb.erase(subject) == {}
