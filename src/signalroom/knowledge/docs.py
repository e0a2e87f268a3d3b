"""Markdown product docs → sections (chunks) that search can return on their own.

markdown-it-py parses each file, so a ``##`` inside a code block never splits a section. A file
may open with front matter (``---`` lines holding ``key: value`` pairs); ``category`` names its
category. Without it the category is the file's folder under the docs root, else ``general``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from markdown_it import MarkdownIt

from signalroom.errors import ConfigError

BUNDLED_PRODUCT = "Quillflow"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_md = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Chunk:
    """One section: ``title`` is "Document — Section"; ``source`` is "file.md#section"."""

    title: str
    text: str
    category: str
    source: str


def bundled_docs() -> list[tuple[str, str]]:
    """(relative name, markdown) of the Quillflow docs shipped inside the package."""
    root = resources.files("signalroom.knowledge").joinpath("product")
    return sorted(_walk(root, ""))


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found.extend(_walk(entry, f"{prefix}{entry.name}/"))
        elif entry.name.endswith(".md"):
            found.append((f"{prefix}{entry.name}", entry.read_text(encoding="utf-8")))
    return found


def directory_docs(root: Path) -> list[tuple[str, str]]:
    """(relative name, markdown) of every ``*.md`` under ``root``, or a clear ConfigError."""
    if not root.is_dir():
        raise ConfigError(
            f"knowledge docs_dir {root} is not a folder",
            hint="set knowledge.docs_dir to a folder of .md files",
        )
    files = sorted(root.rglob("*.md"))
    if not files:
        raise ConfigError(
            f"knowledge docs_dir {root} holds no .md files",
            hint="add Markdown files, or unset knowledge.docs_dir to use the bundled docs",
        )
    docs = []
    for path in files:
        try:
            docs.append((path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read knowledge doc {path}: {exc}") from None
    return docs


def split_sections(name: str, markdown: str) -> list[Chunk]:
    """Chunks of one document: one per ``##`` (or deeper) heading, intro text included."""
    meta, body = _front_matter(markdown)
    category = _slug(meta.get("category") or _folder_category(name) or "general")
    lines = body.splitlines()
    headings = _headings(body)
    heading_lines = {n for _, first, last, _ in headings for n in range(first, last)}
    doc_title = meta.get("title") or next(
        (text for level, _, _, text in headings if level == 1), _title_from_name(name)
    )
    # Sections start at every heading below the document title; text before the first one
    # (an intro under the H1) becomes a section named after the document.
    starts = [(first, text) for level, first, _, text in headings if level >= 2]
    bounds = [(0, doc_title), *starts]
    chunks = []
    for index, (start, heading) in enumerate(bounds):
        end = bounds[index + 1][0] if index + 1 < len(bounds) else len(lines)
        section = [lines[n] for n in range(start, end) if n not in heading_lines]
        text = " ".join(" ".join(section).split())
        if not text:
            continue
        title = doc_title if heading == doc_title else f"{doc_title} — {heading}"
        chunks.append(Chunk(title, text, category, f"{name}#{_slug(heading)}"))
    return chunks


def _headings(body: str) -> list[tuple[int, int, int, str]]:
    """(level, first line, line after, text) of each heading, in order."""
    tokens = _md.parse(body)
    found = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            first, after = token.map
            found.append(
                (int(token.tag[1:]), first, after, " ".join(tokens[index + 1].content.split()))
            )
    return found


def _front_matter(markdown: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(markdown)
    if not match:
        return {}, markdown
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, markdown[match.end() :]


def _folder_category(name: str) -> str | None:
    parts = name.split("/")
    return parts[-2] if len(parts) > 1 else None


def _title_from_name(name: str) -> str:
    return name.rsplit("/", 1)[-1].removesuffix(".md").replace("-", " ").replace("_", " ").title()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
