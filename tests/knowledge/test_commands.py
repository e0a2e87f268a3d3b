"""``signalroom knowledge search|categories``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from signalroom.console import CommandFailed
from signalroom.knowledge import commands

# Only this command group: the tests stay independent of the rest of the CLI.
app = typer.Typer()
commands.register(app)
runner = CliRunner()


def test_knowledge_search_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "knowledge",
            "search",
            "is it HIPAA compliant",
            "--home",
            str(tmp_path),
            "--json",
            "-k",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["query"] == "is it HIPAA compliant"
    assert [hit["source"] for hit in payload["hits"]] == ["security.md#hipaa"]
    assert payload["total"] >= 1


def test_knowledge_search_unknown_category_fails_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["knowledge", "search", "price", "--category", "billing", "--home", str(tmp_path)]
    )
    assert isinstance(result.exception, CommandFailed)
    assert "known categories" in str(result.exception)


def test_knowledge_categories_from_a_docs_dir(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "faq").mkdir(parents=True)
    (docs / "faq" / "a.md").write_text("# A\nAnvils.\n")
    (tmp_path / "signalroom.toml").write_text(f'[knowledge]\ndocs_dir = "{docs.as_posix()}"\n')
    result = runner.invoke(app, ["knowledge", "categories", "--home", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ["faq"]
