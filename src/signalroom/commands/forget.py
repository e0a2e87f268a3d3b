"""``signalroom forget``: erase a person's or a call's data, or apply the retention period."""

from __future__ import annotations

from typing import Annotated

import typer

from signalroom.cli_common import HomeOption, JsonFlag, QueueOption, WarehouseOption
from signalroom.console import err_console, fail, out_console, print_json


def register(app: typer.Typer) -> None:
    app.command(
        "forget",
        help="Erase every record that mentions an email address (exactly: case and "
        "surrounding spaces aside; raw or as its keyed hash), one session, or everything older "
        "than the retention period: from the outbox, the queue and its dead letters, the "
        "warehouse, the booking store and every destination that can erase. Prints what it "
        "removed per place; --dry-run prints what it would remove and changes nothing. "
        "Receivers that keep their own copy are named with what to do there (see "
        "docs/privacy.md).\n\n"
        "Example: signalroom forget --email jane@acme.com --dry-run --home ./signalroom-demo",
    )(forget)


def forget(
    home: HomeOption = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="Erase records that mention exactly this address."),
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Erase the records of this session id.")
    ] = None,
    older_than_days: Annotated[
        int | None,
        typer.Option("--older-than-days", min=1, help="Erase records that started before N days."),
    ] = None,
    expired: Annotated[
        bool,
        typer.Option("--expired", help="Erase records older than privacy.retention_days."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what would be erased per place; erase nothing."),
    ] = False,
    queue: QueueOption = None,
    warehouse: WarehouseOption = None,
    json_out: JsonFlag = False,
) -> None:
    from signalroom.config import load_settings
    from signalroom.errors import SignalroomError
    from signalroom.privacy.subject import Subject
    from signalroom.reliability.erasure import forget, subject_key

    chosen = [
        name
        for name, given in (
            ("--email", email is not None),
            ("--session", session is not None),
            ("--older-than-days", older_than_days is not None),
            ("--expired", expired),
        )
        if given
    ]
    if len(chosen) != 1:
        fail(
            "give exactly one of --email, --session, --older-than-days, --expired"
            + (f" (got {', '.join(chosen)})" if chosen else ""),
            hint="signalroom forget --email jane@acme.com",
            code=2,
        )
    import sqlite3

    from signalroom.homecheck import require_writable_home

    settings = load_settings(home, queue_url=queue, warehouse_url=warehouse)
    require_writable_home(settings.home)  # erasing rewrites the stores in it
    try:
        if email is not None:
            subject = Subject.for_email(email, subject_key(settings))
        elif session is not None:
            subject = Subject.for_session(session)
        else:
            days = older_than_days or settings.privacy.retention_days
            if days is None:
                fail(
                    "privacy.retention_days is not set",
                    hint="set [privacy] retention_days in signalroom.toml, or --older-than-days",
                    code=2,
                )
            subject = Subject.older_than(days)
        verb = "searching for" if dry_run else "erasing"
        with err_console.status(f"{verb} {subject.label}...", spinner="dots"):
            report = forget(settings, subject, dry_run=dry_run)
    except SignalroomError as exc:
        fail(str(exc), hint=exc.hint, code=2 if not exc.retryable else 1)
    except sqlite3.DatabaseError as exc:
        # nothing is moved aside here: a damaged store may hold the very data to erase
        fail(
            f"a store under {settings.home} cannot be read ({exc}); nothing was erased from it",
            hint=f"signalroom doctor --home {settings.home} names it",
        )
    if json_out:
        print_json(report.as_dict())
        if report.failed:
            raise typer.Exit(1)
        return
    did = "would remove" if dry_run else "removed"
    for place, counts in report.counts.items():
        parts = ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing"
        out_console.print(f"{place}: {did} {parts}", soft_wrap=True)
    for place, reason in report.skipped.items():
        out_console.print(f"{place}: not searched: {reason}", soft_wrap=True)
    for place, reason in report.failed.items():
        out_console.print(f"{place}: FAILED: {reason}", soft_wrap=True)
    total = "would be removed" if dry_run else "removed"
    out_console.print(f"{report.total} items {total} for {subject.label}")
    if report.failed:
        fail(
            f"{len(report.failed)} place(s) could not be searched: {', '.join(report.failed)}",
            hint="fix what the line above says, then run the same forget again (it is idempotent)",
        )
