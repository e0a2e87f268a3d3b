"""``signalroom dashboard``: serve the read-only web dashboard, or write a static report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from signalroom.cli_common import HomeOption, WarehouseOption
from signalroom.console import err_console, fail

HELP = (
    "Serve the read-only dashboard over the warehouse: / overview, /leads, /calls/SESSION_ID.\n\n"
    "Binding beyond localhost needs a token (--token or SIGNALROOM_DASHBOARD__TOKEN).\n\n"
    "Example: signalroom dashboard --home ./signalroom-demo --port 8765"
)


def register(app: typer.Typer) -> None:
    app.command("dashboard", help=HELP)(dashboard)


def dashboard(
    *,
    home: HomeOption = None,
    warehouse: WarehouseOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to bind. Anything but localhost needs a token.",
            show_default="127.0.0.1",
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port to bind (0 picks a free one).",
            show_default="8765",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Access token (prefer the SIGNALROOM_DASHBOARD__TOKEN variable: command lines "
            "are visible to other users).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write a static HTML snapshot to this file and exit."),
    ] = None,
) -> None:
    from signalroom.config import load_settings

    settings = load_settings(home, warehouse_url=warehouse)
    url = settings.resolved_warehouse_url
    if report is not None:
        from signalroom.dashboard.report import render_report

        written = render_report(url, report)
        err_console.print(f"wrote {written}")
        return

    from signalroom.dashboard.auth import is_loopback

    bind_host = host or settings.dashboard.host
    bind_port = settings.dashboard.port if port is None else port
    secret = token or (
        settings.dashboard.token.get_secret_value() if settings.dashboard.token else None
    )
    if not is_loopback(bind_host) and not secret:
        fail(
            f"refusing to serve on {bind_host} without a token: set SIGNALROOM_DASHBOARD__TOKEN "
            "(or --token)",
            code=2,
        )
    _serve(url, bind_host, bind_port, secret)


def _serve(url: str, host: str, port: int, token: str | None) -> None:
    import socket

    import uvicorn

    from signalroom.dashboard.app import create_app
    from signalroom.dashboard.reader import WarehouseTarget

    app = create_app(url, token=token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        # Bound here rather than by uvicorn, so a busy port is one clear line, not a log dump.
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror}", hint="choose another --port")
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    err_console.print(
        f"dashboard ready at http://{shown}:{bound_port}/  "
        f"(warehouse {WarehouseTarget.parse(url).display})",
        soft_wrap=True,
    )
    if token:
        err_console.print("open it once with ?token=YOUR_TOKEN, or send Authorization: Bearer")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
