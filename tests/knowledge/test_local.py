"""The embedded knowledge base over the bundled Quillflow docs and over a user's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalroom.config import KnowledgeSettings
from signalroom.errors import ConfigError
from signalroom.knowledge import (
    KnowledgeBase,
    KnowledgeError,
    LocalKnowledgeBase,
    build_knowledge_base,
)


@pytest.fixture(scope="module")
def kb() -> LocalKnowledgeBase:
    return LocalKnowledgeBase.bundled()


@pytest.mark.parametrize(
    ("question", "expected_source"),
    [
        ("how do I create templates", "templates.md#creating-a-template"),
        ("do you integrate with salesforce", "integrations.md#salesforce"),
        ("how much does it cost", "pricing.md#"),
        ("is it HIPAA compliant", "security.md#hipaa"),
        ("can we log in with Okta single sign-on", "integrations.md#single-sign-on"),
        ("can you keep our data in the EU", "security.md#data-residency"),
        ("we are moving off DocuSign", "integrations.md#docusign-import"),
        ("are electronic signatures legally binding", "esignature.md#legal-validity"),
    ],
)
async def test_realistic_questions_find_the_right_section(
    kb: LocalKnowledgeBase, question: str, expected_source: str
) -> None:
    result = await kb.search(question)
    assert result.hits, question
    assert result.hits[0].source.startswith(expected_source), [h.source for h in result.hits]
    assert result.query == question
    assert result.total >= len(result.hits)


async def test_hits_are_focused_sections_with_scores_in_order(kb: LocalKnowledgeBase) -> None:
    result = await kb.search("what does the Business plan include", top_k=5)
    assert len(result.hits) == 5
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)
    top = result.hits[0]
    assert top.title == "Pricing and plans — Business plan"
    assert "$45 per user" in top.text
    assert top.category == "pricing"
    # One section, not the whole pricing page.
    assert "Starter costs" not in top.text


async def test_total_counts_every_match_before_the_top_k_cut(kb: LocalKnowledgeBase) -> None:
    wide = await kb.search("documents", top_k=100)
    narrow = await kb.search("documents", top_k=2)
    assert len(narrow.hits) == 2
    assert narrow.total == wide.total == len(wide.hits)
    assert narrow.total > 2
    assert [h.source for h in narrow.hits] == [h.source for h in wide.hits[:2]]


async def test_category_filter_keeps_only_that_category(kb: LocalKnowledgeBase) -> None:
    everywhere = await kb.search("salesforce")
    in_pricing = await kb.search("salesforce", category="pricing")
    assert everywhere.hits[0].category == "integrations"
    assert in_pricing.hits
    assert {hit.category for hit in in_pricing.hits} == {"pricing"}
    assert in_pricing.category == "pricing"
    assert in_pricing.total < everywhere.total


async def test_category_names_are_matched_loosely(kb: LocalKnowledgeBase) -> None:
    result = await kb.search("audit trail", category="E Signature")
    assert result.hits
    assert {hit.category for hit in result.hits} == {"e-signature"}


async def test_unknown_category_is_an_error_listing_the_known_ones(kb: LocalKnowledgeBase) -> None:
    with pytest.raises(KnowledgeError) as caught:
        await kb.search("price", category="billing")
    message = str(caught.value)
    assert "'billing'" in message
    for name in ("pricing", "security", "integrations"):
        assert name in message
    assert caught.value.retryable is False


def test_categories_come_from_the_docs(kb: LocalKnowledgeBase) -> None:
    assert kb.categories == sorted(kb.categories)
    assert {"templates", "e-signature", "integrations", "pricing", "security"} <= set(kb.categories)
    assert isinstance(kb, KnowledgeBase)


@pytest.mark.parametrize(("query", "top_k"), [("", 3), ("   ", 3), ("pricing", 0)])
async def test_bad_queries_are_refused(kb: LocalKnowledgeBase, query: str, top_k: int) -> None:
    with pytest.raises(KnowledgeError):
        await kb.search(query, top_k=top_k)


async def test_questions_without_content_words_match_nothing(kb: LocalKnowledgeBase) -> None:
    for query in ("what is it", "zzyzx qwerty"):
        result = await kb.search(query)
        assert result.hits == []
        assert result.total == 0


def test_bundled_index_records_its_build_time() -> None:
    # How fast build and search are is measured by `signalroom bench` (knowledge_*), not here.
    kb = LocalKnowledgeBase.bundled()
    assert kb.size >= 30
    assert kb.build_seconds > 0


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def test_docs_dir_replaces_the_bundled_docs(tmp_path: Path) -> None:
    write(
        tmp_path / "plans.md",
        "---\ncategory: Pricing\ntitle: Acme plans\n---\n# Ignored heading\n\n"
        "## Gold\nGold costs $99 a month and includes rocket skates.\n\n"
        "## Silver\nSilver costs $49 a month.\n",
    )
    write(tmp_path / "faq" / "shipping.md", "# Shipping\nWe ship anvils worldwide in two days.\n")
    kb = build_knowledge_base(KnowledgeSettings(docs_dir=tmp_path))
    assert kb.categories == ["faq", "pricing"]

    gold = await kb.search("rocket skates")
    assert [h.source for h in gold.hits] == ["plans.md#gold"]
    assert gold.hits[0].title == "Acme plans — Gold"
    assert gold.hits[0].category == "pricing"

    anvils = await kb.search("anvils", category="faq")
    assert anvils.hits[0].source == "faq/shipping.md#shipping"
    assert anvils.hits[0].title == "Shipping"
    assert (await kb.search("salesforce")).hits == []


def test_docs_dir_must_exist_and_hold_markdown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a folder"):
        build_knowledge_base(KnowledgeSettings(docs_dir=tmp_path / "missing"))
    write(tmp_path / "notes.txt", "not markdown")
    with pytest.raises(ConfigError, match=r"no \.md files"):
        build_knowledge_base(KnowledgeSettings(docs_dir=tmp_path))


def test_default_settings_use_the_bundled_docs() -> None:
    kb = build_knowledge_base(KnowledgeSettings())
    assert isinstance(kb, LocalKnowledgeBase)
    assert "pricing" in kb.categories
