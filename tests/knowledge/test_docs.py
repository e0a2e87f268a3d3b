"""Splitting Markdown into sections."""

from __future__ import annotations

from signalroom.knowledge.docs import bundled_docs, split_sections


def test_sections_split_at_headings_and_keep_the_intro() -> None:
    chunks = split_sections(
        "guide.md",
        "# Guide\nIntro line.\n\n## First step\nDo this.\n\n### Detail\nMore.\n",
    )
    assert [(c.title, c.text, c.source) for c in chunks] == [
        ("Guide", "Intro line.", "guide.md#guide"),
        ("Guide — First step", "Do this.", "guide.md#first-step"),
        ("Guide — Detail", "More.", "guide.md#detail"),
    ]
    assert {c.category for c in chunks} == {"general"}


def test_hashes_inside_code_blocks_are_not_headings() -> None:
    chunks = split_sections(
        "api.md", "# API\n\n## Webhooks\n```\n## not a heading\n```\nSigned with HMAC.\n"
    )
    assert [c.title for c in chunks] == ["API — Webhooks"]
    assert "## not a heading" in chunks[0].text
    assert "Signed with HMAC." in chunks[0].text


def test_front_matter_sets_category_and_title() -> None:
    chunks = split_sections(
        "x/y.md", '---\ncategory: "Data Residency"\ntitle: Where data lives\n---\nEU or US.\n'
    )
    assert [(c.title, c.category, c.text) for c in chunks] == [
        ("Where data lives", "data-residency", "EU or US.")
    ]


def test_title_falls_back_to_the_file_name() -> None:
    chunks = split_sections("getting_started.md", "Just text.\n")
    assert chunks[0].title == "Getting Started"


def test_every_bundled_doc_has_a_category_and_sections() -> None:
    docs = bundled_docs()
    assert 8 <= len(docs) <= 12
    for name, text in docs:
        assert text.startswith("---\ncategory:"), name
        chunks = split_sections(name, text)
        assert len(chunks) >= 3, name
        assert all(c.text and c.category != "general" for c in chunks), name
