"""Turn one executed function tool (its call and its output) into a compact row.

Convention shared with the agent's tools: a tool that wants its outcome recorded returns a JSON
object as its output. The recorder reads ``results_found``, ``total_results`` and ``success``
from it; arguments named ``query``, ``category``, ``customer_name`` and ``customer_email`` fill
the matching record fields. A tool that raised ``ToolError`` has an error output: ``success`` is
then False and ``error`` holds the message the model was given. Nothing here does I/O.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from signalroom.record import ToolCall

_SHORT = 512
_LONG = 20_000
#: Arguments copied into ``ToolCall.arguments`` for tools the record has no fields for.
_MAX_ARGS = 20
_NAMED_ARGS = frozenset({"query", "category", "customer_name", "customer_email"})


class ToolRow(NamedTuple):
    """One tool call, as kept in memory until a record is built (a tuple: small and immutable)."""

    tool: str
    at: float
    duration_ms: float | None
    error: str | None
    query: str | None
    category: str | None
    results_found: bool | None
    total_results: int | None
    customer_name: str | None
    customer_email: str | None
    success: bool | None
    arguments: tuple[tuple[str, Any], ...] | None


#: One tool call as the session reported it: (tool, arguments JSON, output, is_error,
#: started_at, ended_at). The recorder keeps this on the call path (the strings are LiveKit's
#: own, shared with the chat history, not copies) and parses it when a record is built.
RawCall = tuple[str, str, str, bool, float, float]


def row_of(call: RawCall) -> ToolRow:
    name, arguments, output, is_error, started_at, ended_at = call
    return make_row(
        name,
        parse_arguments(arguments),
        output,
        is_error,
        started_at=started_at,
        ended_at=ended_at,
    )


def parse_arguments(raw: str) -> dict[str, Any]:
    """The call's arguments as a dict; a model that sent something else gets ``{}``."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _str(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def make_row(
    name: str,
    arguments: dict[str, Any],
    output: str,
    is_error: bool,
    *,
    started_at: float,
    ended_at: float,
) -> ToolRow:
    result = None if is_error else _json_object(output)
    results_found = result.get("results_found") if result else None
    total = result.get("total_results") if result else None
    success = result.get("success") if result else None
    if is_error:
        success = False
    extra = tuple(
        (k, v if isinstance(v, int | float | bool) or v is None else str(v)[:_SHORT])
        for k, v in list(arguments.items())[:_MAX_ARGS]
        if k not in _NAMED_ARGS
    )
    return ToolRow(
        tool=name[:_SHORT],
        at=started_at,
        duration_ms=max(0.0, (ended_at - started_at) * 1000.0),
        error=output[:_LONG] if is_error else None,
        query=_str(arguments.get("query"), _LONG),
        category=_str(arguments.get("category"), _SHORT),
        results_found=results_found if isinstance(results_found, bool) else None,
        total_results=total if isinstance(total, int) and total >= 0 else None,
        customer_name=_str(arguments.get("customer_name"), _SHORT),
        customer_email=_str(arguments.get("customer_email"), _SHORT),
        success=success if isinstance(success, bool) else None,
        arguments=extra or None,
    )


def to_model(row: ToolRow, at: Any) -> ToolCall:
    return ToolCall(
        tool=row.tool,
        timestamp=at,
        query=row.query,
        category=row.category,
        results_found=row.results_found,
        total_results=row.total_results,
        customer_name=row.customer_name,
        customer_email=row.customer_email,
        success=row.success,
        duration_ms=row.duration_ms,
        error=row.error,
        arguments=dict(row.arguments) if row.arguments else None,
    )
