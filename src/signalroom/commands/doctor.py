"""``signalroom doctor``: check the configuration and reach every configured part.

One line per part (``ok``, ``warn`` or ``FAIL``), exit 1 when anything failed. Every backend is
asked through the ``check()`` of the seam (``signalroom.seam``), which contacts the real
service; this module knows no backend. Each check is bounded in time so a dead host cannot
hang the command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from signalroom.checks import Check
from signalroom.cli_common import HomeOption, JsonFlag, QueueOption, WarehouseOption
from signalroom.console import out_console, print_json

if TYPE_CHECKING:
    from signalroom.config import Settings
    from signalroom.seam import Backend

TIMEOUT_S = 5.0


def register(app: typer.Typer) -> None:
    app.command(
        "doctor",
        help="Check the configuration and contact every configured part: the outbox, the "
        "queue, the warehouse, the knowledge and booking backends and each destination "
        "(each through its own check), and the agent's models, keys and LLM endpoint."
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
    checks.append(_check_detector())
    checks += asyncio.run(_check_backends(settings))
    checks += _check_agent(settings)
    return checks


def _check_agent(settings: Settings) -> list[Check]:
    """The agent's models, plugins, keys and LLM endpoint (signalroom.agent.doctor)."""
    from signalroom.agent.doctor import agent_checks

    return agent_checks(settings.agent)


def _check_detector() -> Check:
    """Compiled or pure Python: same signals, about 2.8x apart in speed (signals/native.py)."""
    from signalroom.signals import native

    detail = f"detector {native.describe()}"
    if not native.running_compiled() and native.choice().stale:
        return Check("signals", "warn", detail, "run `uv sync` to recompile it")
    return Check("signals", "ok", detail)


def _check_outbox(settings: Settings) -> Check:
    from signalroom.outbox.damage import find_damaged
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
    damaged = find_damaged(settings.outbox_path)
    if damaged:
        names = ", ".join(p.name for p in damaged)
        return Check(
            "outbox",
            "warn",
            f"{detail}; {len(damaged)} damaged outbox file(s) moved aside: {names}",
            "they are kept for recovery (sqlite3 FILE .recover); delete them once done",
        )
    if status.parked:
        return Check("outbox", "warn", detail, "see `signalroom outbox export`, then replay")
    return Check("outbox", "ok", detail)


async def _check_backends(settings: Settings) -> list[Check]:
    """Every configured backend, through its own ``check()`` (``signalroom.seam``)."""
    from signalroom.booking.factory import build_booking_backend
    from signalroom.destinations import build_destinations, open_warehouse
    from signalroom.knowledge.factory import build_knowledge_base
    from signalroom.privacy.hashing import load_hash_key
    from signalroom.transports import open_transport
    from signalroom.urls import redact_url

    queue_url = settings.resolved_queue_url
    warehouse_url = settings.resolved_warehouse_url
    checks = [
        await _probe("queue", redact_url(queue_url), lambda: open_transport(queue_url)),
        await _probe("warehouse", redact_url(warehouse_url), lambda: open_warehouse(warehouse_url)),
        await _probe(
            "knowledge",
            settings.knowledge.backend,
            lambda: build_knowledge_base(settings.knowledge),
        ),
        await _probe(
            "booking",
            settings.booking.backend,
            lambda: build_booking_backend(settings.booking, settings.home),
        ),
    ]
    try:
        destinations = build_destinations(
            settings.destinations.configured(),
            hash_key=load_hash_key(settings.privacy.hash_key, None),
        )
    except Exception as exc:
        return [*checks, Check("destinations", "FAIL", str(exc), getattr(exc, "hint", None))]
    if not destinations:
        checks.append(Check("destinations", "ok", "none configured"))
    for destination in destinations:
        checks.append(await _probe(destination.name, "", _built(destination)))
    return checks


async def _probe(part: str, label: str, build: Callable[[], Backend]) -> Check:
    """Build the backend, call its ``check()`` within ``TIMEOUT_S``, close it."""
    import asyncio

    from signalroom.errors import WarehouseLockedError

    prefix = f"{label}: " if label else ""
    try:
        backend = build()
    except Exception as exc:
        return Check(part, "FAIL", f"{prefix}{_first_line(exc)}", getattr(exc, "hint", None))
    try:
        detail = await asyncio.wait_for(backend.check(), TIMEOUT_S)
        return Check(part, "ok", f"{label} ({detail})" if label else detail)
    except TimeoutError:
        return Check(part, "FAIL", f"{prefix}no answer in {TIMEOUT_S:.0f}s", "is it running?")
    except WarehouseLockedError as exc:
        return Check(part, "warn", f"{prefix}{_first_line(exc)}", exc.hint)
    except Exception as exc:
        return Check(part, "FAIL", f"{prefix}{_first_line(exc)}", getattr(exc, "hint", None))
    finally:
        # Closing a backend that never connected may fail too; the check already said why.
        with contextlib.suppress(Exception):
            await backend.close()


def _built(backend: Backend) -> Callable[[], Backend]:
    return lambda: backend


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
