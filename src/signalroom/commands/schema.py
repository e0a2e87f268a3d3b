"""``signalroom schema``: print the record's JSON Schema."""

from __future__ import annotations

import json

import typer

from signalroom.cli_common import HomeOption


def register(app: typer.Typer) -> None:
    app.command(
        "schema",
        help="Print the session record's JSON Schema.\n\n"
        "Example: signalroom schema > session-record.v1.json",
    )(schema)


def schema(home: HomeOption = None) -> None:
    from signalroom.record import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))
