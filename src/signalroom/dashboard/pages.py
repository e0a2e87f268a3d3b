"""Template contexts for each page, and the Jinja2 environment both the app and the report use.

The web app and the static report render the same templates from the same contexts; the
report only sets ``static_mode`` so assets are inlined and links to server pages are dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import jinja2

from signalroom.dashboard import charts, queries
from signalroom.dashboard.contacts import any_simulated
from signalroom.dashboard.queries import GRADES, OUTCOMES, SORTABLE, URGENCIES, LeadFilters
from signalroom.dashboard.reader import Reader, Row
from signalroom.dashboard.timeline import FIELD_LABELS, build_timeline, format_value

VENDOR_SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")


def _int(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _usd(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"${float(value):,.{digits}f}"


def _ms(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.0f} ms"


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.{digits}f}"


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "—" if value is None else str(value)


def _when_short(value: Any) -> str:
    """To the minute: a table of calls needs no seconds."""
    text = _when(value)
    return text[:16] if len(text) == 19 and text[4] == "-" else text


def _duration(value: Any) -> str:
    """``45s``, ``1m 34s``, ``1h 02m``: the largest units that matter for a call."""
    if value is None:
        return "—"
    seconds = round(float(value))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("signalroom.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        int=_int,
        pct=_pct,
        usd=_usd,
        ms=_ms,
        num=_num,
        when=_when,
        when_short=_when_short,
        duration=_duration,
        value=format_value,
    )
    env.globals.update(
        GRADES=GRADES,
        OUTCOMES=OUTCOMES,
        URGENCIES=URGENCIES,
        FIELD_LABELS=FIELD_LABELS,
        quote=quote,
        static_mode=False,
    )
    return env


def static_text(name: str) -> str:
    return resources.files("signalroom.dashboard").joinpath("static", name).read_text("utf-8")


def inline_assets() -> dict[str, str]:
    """CSS and scripts to inline into a page that must open from the file system."""
    scripts = [static_text(f"vendor/{name}") for name in VENDOR_SCRIPTS]
    scripts.append(static_text("dashboard.js"))
    for text in scripts:
        if "</script" in text.lower():
            raise ValueError("a script cannot be inlined: it contains '</script'")
    return {"css": static_text("dashboard.css"), "scripts": "\n;\n".join(scripts)}


#: The overview's time windows (days back from today, UTC); ``all`` has no bound.
WINDOWS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "365": 365, "all": None}
DEFAULT_WINDOW = "30"


def window_start(window: str, today: date | None = None) -> date | None:
    days = WINDOWS[window]
    if days is None:
        return None
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=days - 1)


def _fill_days(daily: list[Row], start: date | None, end: date | None) -> list[Row]:
    """One row per day from ``start`` (the window's first day; else the first call) to ``end``,
    zeros where no call started: a quiet day shows as a gap, and the window as a whole."""
    if not daily:
        return daily
    start = min(start, daily[0]["day"]) if start else daily[0]["day"]
    end = max(end or daily[-1]["day"], daily[-1]["day"])
    if not isinstance(start, date) or (end - start).days > 400:
        return daily
    have = {row["day"]: row for row in daily}
    empty = {
        "calls": 0,
        "qualified": 0,
        "booked": 0,
        "latency_p50_ms": None,
        "latency_p95_ms": None,
    }
    span = (end - start).days + 1
    days = (start + timedelta(days=i) for i in range(span))
    return [have.get(day) or {"day": day, **empty} for day in days]


def overview_context(db: Reader, window: str = DEFAULT_WINDOW) -> dict[str, Any]:
    since = window_start(window)
    data = queries.overview(db, since)
    today = datetime.now(UTC).date() if since else None
    daily = _fill_days(data.daily, since, today)
    return {
        "page": "overview",
        "title": "Overview",
        "simulated": any_simulated(db, since),
        "totals": data.totals,
        "window": window,
        "windows": list(WINDOWS),
        "empty": not data.totals["calls"],
        "charts": {
            "calls": charts.calls_per_day(daily),
            "latency": charts.latency_per_day(daily),
            "grades": charts.grades(data.grades),
            "outcomes": charts.outcomes(data.outcomes),
            "industries": charts.industries(data.industries),
            "integrations": charts.integrations(data.integrations),
        },
        "integrations": data.integrations,
    }


def leads_context(db: Reader, filters: LeadFilters) -> dict[str, Any]:
    page = queries.leads(db, filters)
    query = filters_query(filters)
    return {
        "page": "leads",
        "title": "Leads",
        "simulated": any(row["caller"].simulated for row in page.rows),
        "leads": page,
        "filters": filters,
        "query": query,
        "sortable": set(SORTABLE),
        "sort_link": lambda column: _sort_link(filters, column),
        "page_link": lambda number: "/leads?" + urlencode([*_pairs(filters), ("page", number)]),
    }


def _pairs(filters: LeadFilters) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = [("grade", g) for g in filters.grade]
    for key in ("industry", "urgency", "outcome", "date_from", "date_to"):
        value = getattr(filters, key)
        if value:
            pairs.append((key, value.isoformat() if isinstance(value, date) else value))
    pairs += [("sort", filters.sort), ("order", filters.order)]
    return pairs


def filters_query(filters: LeadFilters) -> str:
    return urlencode(_pairs(filters))


def _sort_link(filters: LeadFilters, column: str) -> str:
    flip = "asc" if filters.sort == column and filters.order == "desc" else "desc"
    pairs = [(k, v) for k, v in _pairs(filters) if k not in ("sort", "order")]
    return "/leads?" + urlencode([*pairs, ("sort", column), ("order", flip)])


def call_context(data: queries.CallData) -> dict[str, Any]:
    record = data.record
    analysis = data.analysis
    result = {name: row["result"] for name, row in analysis.items()}
    sentiment = result.get("sentiment")
    turns = record.get("turns") or []
    return {
        "page": "call",
        "title": f"Call {data.session['session_id']}",
        "simulated": (record.get("metadata") or {}).get("simulated") is True,
        "session": data.session,
        "record": record,
        "facts": data.facts or {},
        "analysis": analysis,
        "result": result,
        "deliveries": data.deliveries,
        "timeline": build_timeline(record, sentiment),
        "has_transcript": record.get("transcript") is not None,
        "record_json": json.dumps(record, indent=2, sort_keys=True, default=str),
        "charts": {
            key: spec
            for key, spec in (
                (
                    "sentiment",
                    charts.sentiment_curve(sentiment["turns"])
                    if sentiment and sentiment.get("turns")
                    else None,
                ),
                (
                    "latency",
                    charts.turn_latency(turns)
                    if any(t.get("e2e_latency_ms") is not None for t in turns)
                    else None,
                ),
            )
            if spec is not None
        },
    }
