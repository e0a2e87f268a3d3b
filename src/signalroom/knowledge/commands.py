"""``signalroom knowledge search|categories``: try the knowledge base the agent will use."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from signalroom.cli_common import HomeOption, JsonFlag
from signalroom.console import fail, out_console, print_json


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="knowledge",
        help="Search the product knowledge base (bundled docs, knowledge.docs_dir, or HTTP).\n\n"
        'Example: signalroom knowledge search "is it HIPAA compliant"',
        no_args_is_help=True,
    )
    group.command(
        "search",
        help="Print the best passages for a question, as the agent's tool would see them.\n\n"
        'Example: signalroom knowledge search "how much does it cost" --category pricing --json',
    )(search)
    group.command(
        "categories",
        help="List the categories a search can be limited to.\n\n"
        "Example: signalroom knowledge categories",
    )(categories)
    app.add_typer(group)


def search(
    query: Annotated[str, typer.Argument(help="The question, as a caller would ask it.")],
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="Limit to one category.")
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, help="Passages to show.")] = 3,
    home: HomeOption = None,
    json: JsonFlag = False,
) -> None:
    import asyncio

    from signalroom.config import load_settings
    from signalroom.knowledge import KnowledgeError, build_knowledge_base

    kb = build_knowledge_base(load_settings(home).knowledge)
    try:
        result = asyncio.run(kb.search(query, category=category, top_k=top_k))
    except KnowledgeError as exc:
        fail(str(exc), hint=exc.hint)
    if json:
        print_json(asdict(result))
        return
    out_console.print(f"{len(result.hits)} of {result.total} matching passages", style="dim")
    for hit in result.hits:
        out_console.print(
            f"\n[bold]{hit.title}[/]  [dim]{hit.category} · {hit.source} · {hit.score:.3f}[/]"
        )
        out_console.print(hit.text, soft_wrap=True)


def categories(home: HomeOption = None, json: JsonFlag = False) -> None:
    from signalroom.config import load_settings
    from signalroom.knowledge import build_knowledge_base

    names = build_knowledge_base(load_settings(home).knowledge).categories
    if json:
        print_json(names)
    else:
        for name in names:
            out_console.print(name)
