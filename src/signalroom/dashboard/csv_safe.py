"""One rule for every cell a CSV export writes: data stays data in a spreadsheet.

Spreadsheets run a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@``, and
some strip a leading tab, carriage return or space first, or fold a full-width ``＝`` into
``=`` (OWASP, "CSV Injection"). Such a text cell gets a leading ``'``, which spreadsheets show
as text and hide; the value is otherwise unchanged. Numbers, booleans and dates are written as
they are: ``-3.5`` is a number, not a formula. A list becomes one ``;``-joined cell, checked
as a whole, so its first item cannot start a formula either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

_TRIGGERS = frozenset("=+-@\t\r\n")
#: Stripped by some spreadsheets before they look for a formula.
_LEADING_BLANKS = " \t\r\n\u00a0\u3000"


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs as a formula (see the module doc)."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        value = ";".join(str(item) for item in value)
    text = value if isinstance(value, str) else str(value)
    return "'" + text if _unsafe(text) else text


def _unsafe(text: str) -> bool:
    if not text:
        return False
    if text[0] in _TRIGGERS:
        return True
    head = text.lstrip(_LEADING_BLANKS)[:1]
    # NFKC folds look-alikes such as the full-width "＝" and "＋" into the ASCII triggers
    return bool(head) and unicodedata.normalize("NFKC", head)[:1] in _TRIGGERS
