"""Options every command shares, so ``--home`` and ``--json`` read the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="SIGNALROOM_HOME",
        help="Deployment folder (signalroom.toml, outbox.sqlite, warehouse.duckdb, logs).",
        show_default="./.signalroom",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
QueueOption = Annotated[
    str | None,
    typer.Option(
        "--queue",
        help="Queue URL: spool:///path, redis://host:6379/0?stream=NAME, nats://host:4222/NAME, "
        "sqs://QUEUE?region=R, pubsub://PROJECT/TOPIC.",
    ),
]
WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="Warehouse URL: duckdb:///path/warehouse.duckdb or postgresql://user@host/db.",
    ),
]
