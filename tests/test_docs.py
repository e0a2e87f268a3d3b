"""The docs that are generated from code stay current."""

from __future__ import annotations

import re
from pathlib import Path

from signalroom.clidoc import render

ROOT = Path(__file__).parent.parent


def test_cli_reference_is_current() -> None:
    checked_in = (ROOT / "docs" / "cli-reference.md").read_text()
    assert checked_in == render(), (
        "docs/cli-reference.md is stale: run `uv run python -m signalroom.clidoc > "
        "docs/cli-reference.md`"
    )


def test_every_command_is_in_the_readme_overview() -> None:
    import typer.main

    from signalroom.cli import app

    readme = (ROOT / "README.md").read_text()
    group = typer.main.get_command(app)
    names = list(getattr(group, "commands", {}))
    assert len(names) > 10
    for name in names:
        assert f"signalroom {name}" in readme, f"README's CLI overview lacks `{name}`"


def test_docs_links_resolve() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+\.(?:md|png|json|py))\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
