"""Generate ``docs/cli-reference.md`` from the commands' own ``--help``, so it cannot drift.

Run ``python -m signalroom.clidoc > docs/cli-reference.md``; a test fails when the checked-in
file differs from what this prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from typer.testing import CliRunner

WIDTH = "100"


def _commands(app: object, prefix: list[str]) -> Iterator[list[str]]:
    import typer.main

    group = typer.main.get_command(app)  # type: ignore[arg-type]
    yield from _walk(group, prefix)


def _walk(command: object, path: list[str]) -> Iterator[list[str]]:
    yield path
    sub = getattr(command, "commands", None)
    if isinstance(sub, dict):
        for name in sorted(sub):
            yield from _walk(sub[name], [*path, name])


def render() -> str:
    from signalroom.cli import app

    os.environ["COLUMNS"] = WIDTH
    os.environ["TERM"] = "dumb"
    os.environ["NO_COLOR"] = "1"
    runner = CliRunner()
    parts = [
        "# CLI reference\n",
        "Generated from each command's `--help` by `python -m signalroom.clidoc`; "
        "a test keeps it current.\n",
    ]
    for path in _commands(app, []):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": WIDTH, "NO_COLOR": "1"})
        title = " ".join(["signalroom", *path])
        body = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        parts.append(f"## `{title}`\n\n```\n{body}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
