"""Who called, as far as the privacy policy let the record keep it, and whether it was simulated.

The caller's name and email are what they gave the booking tool (``customer_name`` and
``customer_email`` of a ``book_sales_meeting`` call). The privacy policy keeps them (the
default, for the CRM), hashes them (``h:…``) or redacts them (``[NAME]``, ``[EMAIL]``): only
kept values are shown, so a hashed or redacted record shows none. The company is the email's
domain, except for free mail providers, where the domain says nothing about the employer.

The leads page reads the records of the (at most 50) rows it shows; the overview asks only
whether any simulated call is in its window, looking at the records of sessions named like the
simulator's (``sim-…``), so a warehouse of real calls answers from the session ids alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from signalroom.dashboard.reader import Reader

#: Free mail providers: their domain is not the caller's company.
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "web.de",
        "mail.com",
        "yandex.com",
        "zoho.com",
    }
)
#: The simulator's session ids start so (see signalroom.simulate.scenarios).
SIMULATED_PREFIX = "sim-"


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    email: str | None = None
    company: str | None = None
    simulated: bool = False


def _kept(value: Any) -> str | None:
    """A value the policy kept: not hashed (``h:…``), not a redaction mark (``[EMAIL]``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("h:") or (text.startswith("[") and text.endswith("]")):
        return None
    return text


def company_of(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].lower().strip(".")
    return None if not domain or domain in FREE_MAIL else domain


def contact_of(record: dict[str, Any]) -> Contact:
    """The caller of one stored record (a JSON dict)."""
    calls = [c for c in record.get("tool_calls") or [] if c.get("customer_email")]
    # A confirmed booking names the caller best; else the last details they gave.
    calls.sort(key=lambda c: c.get("success") is True)
    name = email = None
    for call in reversed(calls):
        name, email = _kept(call.get("customer_name")), _kept(call.get("customer_email"))
        if name or email:
            break
    simulated = (record.get("metadata") or {}).get("simulated") is True
    return Contact(name, email, company_of(email), simulated)


def contacts(db: Reader, record_ids: Sequence[str]) -> dict[str, Contact]:
    """The callers of ``record_ids`` (a page of leads), keyed by record id."""
    if not record_ids:
        return {}
    marks = ", ".join("?" for _ in record_ids)
    rows = db.rows(
        f"SELECT record_id, record FROM sessions WHERE record_id IN ({marks})", list(record_ids)
    )
    return {str(r["record_id"]): contact_of(_json(r["record"]) or {}) for r in rows}


def _json(value: Any) -> Any:
    """JSON columns come back as text from DuckDB and already parsed from psycopg (read here,
    not from ``queries``, which imports this module)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def any_simulated(db: Reader, since: date | None = None) -> bool:
    """Whether any call that started on or after ``since`` is marked simulated."""
    flag = (
        "json_extract_string(record, '$.metadata.simulated') = 'true'"
        if db.dialect == "duckdb"
        else "(record::jsonb -> 'metadata' ->> 'simulated') = 'true'"
    )
    when, params = ("AND start_time >= ?", [since]) if since else ("", [])
    rows = db.rows(
        f"SELECT 1 AS hit FROM sessions WHERE session_id LIKE ? {when} AND {flag} LIMIT 1",
        [SIMULATED_PREFIX + "%", *params],
    )
    return bool(rows)
