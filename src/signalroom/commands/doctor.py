"""``signalroom doctor``: check the configuration and reach every configured part.

One line per part (``ok``, ``warn`` or ``FAIL``), exit 1 when anything failed. Each check is
bounded in time so a dead host cannot hang the command.
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from signalroom.cli_common import HomeOption, JsonFlag, QueueOption, WarehouseOption
from signalroom.console import out_console, print_json

if TYPE_CHECKING:
    from signalroom.config import Settings

TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    part: str
    status: str  # "ok" | "warn" | "FAIL"
    detail: str
    hint: str | None = None


def register(app: typer.Typer) -> None:
    app.command(
        "doctor",
        help="Check the configuration and reach the outbox, queue, warehouse and destinations, "
        "and the agent's models, keys and LLM endpoint."
        "\n\nExample: signalroom doctor --home ./signalroom-demo",
    )(doctor)


def doctor(
    home: HomeOption = None,
    queue: QueueOption = None,
    warehouse: WarehouseOption = None,
    json_out: JsonFlag = False,
) -> None:
    checks = run_checks(home, queue_url=queue, warehouse_url=warehouse)
    failed = any(c.status == "FAIL" for c in checks)
    if json_out:
        print_json({"ok": not failed, "checks": [asdict(c) for c in checks]})
    else:
        for c in checks:
            colour = {"ok": "green", "warn": "yellow", "FAIL": "bold red"}[c.status]
            hint = f" (hint: {c.hint})" if c.hint else ""
            out_console.print(
                f"[{colour}]{c.status:<4}[/] {c.part:<12} {c.detail}{hint}", soft_wrap=True
            )
    if failed:
        raise typer.Exit(1)


def run_checks(home: Path | None, **overrides: str | None) -> list[Check]:
    import asyncio

    from signalroom.config import load_settings
    from signalroom.errors import SignalroomError

    try:
        settings = load_settings(home, **overrides)
    except SignalroomError as exc:
        return [Check("config", "FAIL", str(exc), exc.hint)]
    checks = [Check("config", "ok", f"home {settings.home.resolve()}")]
    checks.append(_check_outbox(settings))
    checks.append(asyncio.run(_check_queue(settings.resolved_queue_url)))
    checks.append(_check_warehouse(settings.resolved_warehouse_url))
    checks += _check_destinations(settings)
    checks += _check_agent(settings)
    return checks


def _check_agent(settings: Settings) -> list[Check]:
    """The agent's models, plugins, keys and LLM endpoint (signalroom.agent.doctor)."""
    from signalroom.agent.doctor import agent_checks

    return [Check(c.part, c.status, c.detail, c.hint) for c in agent_checks(settings.agent)]


def _check_outbox(settings: Settings) -> Check:
    from signalroom.outbox.store import Outbox

    outbox = Outbox(settings.outbox_path, settings.outbox)
    try:
        outbox.write_test()
        status = outbox.status()
    except Exception as exc:
        return Check(
            "outbox",
            "FAIL",
            f"{settings.outbox_path}: {exc}",
            "check that the home folder exists and is writable",
        )
    finally:
        outbox.close()
    detail = f"{settings.outbox_path} ({status.pending} pending, {status.parked} parked)"
    if status.parked:
        return Check("outbox", "warn", detail, "see `signalroom outbox export`, then replay")
    return Check("outbox", "ok", detail)


async def _check_queue(url: str) -> Check:
    import asyncio

    from signalroom.transports.registry import open_transport

    shown = _redact(url)
    try:
        transport = open_transport(url)
    except Exception as exc:
        return Check("queue", "FAIL", f"{shown}: {exc}", getattr(exc, "hint", None))
    try:
        probe = getattr(transport, "check", None)
        detail = "opened (this backend has no health check)"
        if probe is not None and inspect.iscoroutinefunction(probe):
            detail = str(await asyncio.wait_for(probe(), TIMEOUT_S) or "reachable")
        return Check("queue", "ok", f"{shown} ({detail})")
    except TimeoutError:
        return Check("queue", "FAIL", f"{shown}: no answer in {TIMEOUT_S:.0f}s", _queue_hint(url))
    except Exception as exc:
        hint = getattr(exc, "hint", None) or _queue_hint(url)
        return Check("queue", "FAIL", f"{shown}: {exc}", hint)
    finally:
        # Closing a transport that never connected may fail too; the check already said why.
        with contextlib.suppress(Exception):
            await transport.close()


def _queue_hint(url: str) -> str:
    scheme = url.split(":", 1)[0]
    service = {"redis": "Redis", "rediss": "Redis", "nats": "NATS"}.get(scheme, "the broker")
    return f"is {service} running? check queue_url"


def _check_warehouse(url: str) -> Check:
    from signalroom.destinations.warehouse import duckdb_path, postgres_url
    from signalroom.errors import ConfigError

    shown = _redact(url)
    try:  # the one URL parser first: a malformed URL is named by its part
        if url.startswith("duckdb:"):
            duckdb_path(url)
        elif url.startswith("postgres"):
            postgres_url(url)
    except ConfigError as exc:
        return Check("warehouse", "FAIL", str(exc), exc.hint)
    if url.startswith("duckdb://"):
        return _check_duckdb(Path(url.removeprefix("duckdb://")), shown)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg

            with psycopg.connect(url, connect_timeout=int(TIMEOUT_S)) as conn:
                conn.execute("SELECT 1")
            return Check("warehouse", "ok", f"{shown} (connected)")
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return Check(
                "warehouse", "FAIL", f"{shown}: {first}", "is PostgreSQL running? check the URL"
            )
    return Check(
        "warehouse", "FAIL", f"unknown warehouse URL {shown}", "use duckdb:// or postgresql://"
    )


def _check_duckdb(path: Path, shown: str) -> Check:
    import duckdb

    if not path.exists():
        folder = path.parent if path.parent.exists() else None
        if folder is None:
            return Check("warehouse", "ok", f"{shown} (created on first write)")
        return Check("warehouse", "ok", f"{shown} (not created yet; folder exists)")
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return Check(
                "warehouse",
                "warn",
                f"{shown}: in use by another process",
                "normal while `signalroom service` runs; stop it to query the file directly",
            )
        return Check("warehouse", "FAIL", f"{shown}: {exc}", "check the file and its folder")
    except duckdb.Error as exc:
        return Check("warehouse", "FAIL", f"{shown}: {exc}", "is it a DuckDB file?")
    return Check("warehouse", "ok", f"{shown} (opened)")


def _check_destinations(settings: Settings) -> list[Check]:
    dest = settings.destinations
    parts = {
        "salesforce": dest.salesforce is not None,
        "amplitude": dest.amplitude is not None,
        "webhooks": bool(dest.webhooks),
    }
    out = []
    for name, configured in parts.items():
        detail = "configured (not contacted)" if configured else "not configured"
        if name == "webhooks" and configured:
            detail = f"{len(dest.webhooks)} configured (not contacted)"
        out.append(Check(name, "ok", detail))
    return out


def _redact(url: str) -> str:
    from signalroom.urls import redact_url  # the one redaction, safe on a malformed URL

    return redact_url(url)
