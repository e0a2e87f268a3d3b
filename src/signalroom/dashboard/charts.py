"""Vega-Lite chart specifications built with altair.

altair builds and validates the specifications on the server; the browser renders them with
the vendored vega, vega-lite and vega-embed scripts (``static/vendor``), so no chart needs the
internet. Each function takes plain rows from :mod:`signalroom.dashboard.queries` and returns
the specification as a dict, ready for ``json.dumps``, or ``None`` when there is nothing to draw:
the page then says "No data for this period" instead of drawing an empty axis.

Day axes put at most one tick on a day (``tickCount`` as a time interval), so a label such as
"Dec 03" never repeats, and read dates in UTC, the warehouse's day boundaries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import altair as alt

from signalroom.dashboard.queries import GRADES
from signalroom.dashboard.reader import Row

Spec = dict[str, Any]

INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#eef0f3"
BLUE = "#2563eb"
TEAL = "#0d9488"
AMBER = "#d97706"
RED = "#dc2626"
GRADE_COLORS = ["#15803d", "#65a30d", "#ca8a04", "#ea580c", "#dc2626"]
OUTCOME_COLORS = {
    "booked": "#15803d",
    "qualified": BLUE,
    "disqualified": "#9ca3af",
    "abandoned": AMBER,
}


def _data(values: list[Row]) -> Any:
    """Inline data for a chart (altair's ``Data`` has no type hints)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _finish(chart: alt.TopLevelMixin, height: int = 220) -> Spec:
    styled = (
        chart.properties(width="container", height=height)
        .configure(
            font="Inter, system-ui, -apple-system, Segoe UI, sans-serif", background="transparent"
        )
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=MUTED,
            titleColor=MUTED,
            gridColor=GRID,
            domainColor="#d1d5db",
            tickColor="#d1d5db",
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
        )
        .configure_legend(
            labelColor=INK, titleColor=MUTED, orient="top", labelFontSize=11, title=None
        )
    )
    spec: Spec = styled.to_dict()
    return spec


def _plain(rows: Sequence[Row]) -> list[Row]:
    """JSON-ready copies: dates as ISO strings, everything else unchanged."""
    out = []
    for row in rows:
        out.append(
            {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}
        )
    return out


def _count_axis(title: str = "calls") -> alt.Axis:
    return alt.Axis(title=title, tickMinStep=1, format=",d")


#: Most labels a day axis shows; more would crowd a half-width card.
MAX_DAY_TICKS = 8
#: Fewest days a per-day chart spans.
MIN_DAYS = 7


def day_axis(days: Sequence[Any]) -> alt.Axis:
    """A time axis over ``days`` whose ticks fall on whole days, never two on one day.

    Vega picks sub-day ticks for a short span (two ticks on one day both read "Dec 03");
    a time-interval tick count rules that out. Long spans tick by month.
    """
    parsed = sorted(_as_date(d) for d in days)
    span = (parsed[-1] - parsed[0]).days + 1 if parsed else 1
    if span <= 120:
        step = max(1, math.ceil(span / MAX_DAY_TICKS))
        return alt.Axis(
            format="%b %d",
            labelAngle=0,
            tickCount={"interval": "day", "step": step},
            labelOverlap=True,
        )
    months = span / 30.4
    step = max(1, math.ceil(months / MAX_DAY_TICKS))
    return alt.Axis(
        format="%b %Y",
        labelAngle=0,
        tickCount={"interval": "month", "step": step},
        labelOverlap=True,
    )


def day_x(days: Sequence[Any], **extra: Any) -> alt.X:
    """The x channel of a per-day chart: whole UTC days from the first to the last of ``days``.

    Charts of one page share it, so the calls and the latency of a day line up.
    """
    parsed = sorted(_as_date(d) for d in days)
    # A few days of calls show within a week, not as bars stretched across the whole chart.
    first = min(parsed[0], parsed[-1] - timedelta(days=MIN_DAYS - 1))
    end = parsed[-1] + timedelta(days=1)
    domain = [alt.DateTime(year=d.year, month=d.month, date=d.day, utc=True) for d in (first, end)]
    return alt.X(
        "utcyearmonthdate(day):T",
        title=None,
        axis=day_axis([first, parsed[-1]]),
        scale=alt.Scale(domain=domain),
        **extra,
    )


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


#: The parts a day's bar is split into, bottom up, and their colours.
CALL_PARTS = ("Booked", "Qualified, not booked", "Other calls")
CALL_COLORS = ["#15803d", BLUE, "#d1d5db"]  # as the outcomes chart: booked, qualified


def calls_per_day(daily: Sequence[Row]) -> Spec | None:
    """One bar per day of all calls, split into booked, qualified (not booked) and the rest.

    Stacked parts read at a glance on sparse days, where lines of daily counts would zig-zag
    to zero between calls.
    """
    if not any(r["calls"] for r in daily):
        return None
    values = []
    for r in _plain(daily):
        booked = int(r["booked"] or 0)
        qualified = max(0, int(r["qualified"] or 0) - booked)
        other = max(0, int(r["calls"] or 0) - booked - qualified)
        parts = zip(CALL_PARTS, (booked, qualified, other), strict=True)
        for order, (part, calls) in enumerate(parts):
            if calls:
                values.append({"day": r["day"], "part": part, "calls": calls, "order": order})
    chart = (
        alt.Chart(_data(values))
        .mark_bar(width={"band": 0.8})
        .encode(
            # A day time unit gives each bar the width of its day.
            x=day_x([r["day"] for r in daily]),
            y=alt.Y("calls:Q", stack="zero", axis=_count_axis()),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=list(CALL_PARTS), range=CALL_COLORS),
                sort=list(CALL_PARTS),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(day):T", title="day", format="%Y-%m-%d"),
                alt.Tooltip("part:N", title="calls"),
                alt.Tooltip("calls:Q", title="count"),
            ],
        )
    )
    return _finish(chart)


def latency_per_day(daily: Sequence[Row]) -> Spec | None:
    values = [
        {"day": r["day"], "series": series, "ms": r[key]}
        for r in _plain(daily)
        for series, key in (("p50", "latency_p50_ms"), ("p95", "latency_p95_ms"))
        if r[key] is not None
    ]
    if not values:
        return None
    chart = (
        alt.Chart(_data(values))
        .mark_line(point=len(daily) <= 31, strokeWidth=2, interpolate="monotone")
        .encode(
            # the days of the calls chart beside it; points sit mid-day, on the bars' centres
            x=day_x([r["day"] for r in daily], bandPosition=0.5),
            y=alt.Y("ms:Q", title="turn latency (ms)"),
            color=alt.Color("series:N", scale=alt.Scale(domain=["p50", "p95"], range=[TEAL, RED])),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(day):T", title="day", format="%Y-%m-%d"),
                "series:N",
                alt.Tooltip("ms:Q", format=",.0f"),
            ],
        )
    )
    return _finish(chart)


def grades(rows: Sequence[Row]) -> Spec | None:
    if not rows:
        return None
    chart = (
        alt.Chart(_data(_plain(rows)))
        .mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3)
        .encode(
            x=alt.X("grade:N", title=None, sort=list(GRADES), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("calls:Q", axis=_count_axis()),
            color=alt.Color(
                "grade:N",
                scale=alt.Scale(domain=list(GRADES), range=GRADE_COLORS),
                legend=None,
            ),
            tooltip=["grade:N", alt.Tooltip("calls:Q", format=",")],
        )
    )
    return _finish(chart)


def _hbar(rows: Sequence[Row], label: str, color: str) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(_data(_plain(rows)))
        .mark_bar(color=color, cornerRadiusTopRight=3, cornerRadiusBottomRight=3)
        .encode(
            y=alt.Y(f"{label}:N", title=None, sort="-x"),
            x=alt.X("calls:Q", axis=_count_axis()),
            tooltip=[f"{label}:N", alt.Tooltip("calls:Q", format=",")],
        )
    )
    return chart


def integrations(rows: Sequence[Row]) -> Spec | None:
    if not rows:
        return None
    named = [{**r, "name": str(r["name"]).replace("_", " ")} for r in rows]
    return _finish(_hbar(named, "name", BLUE), height=max(80, 24 * len(rows)))


def industries(rows: Sequence[Row]) -> Spec | None:
    """Calls per industry, split into qualified and not qualified leads."""
    if not rows:
        return None
    values = [
        {
            "industry": str(r["industry"]).replace("_", " "),
            "series": series,
            "calls": count,
            "order": i,
        }
        for r in rows
        for i, (series, count) in enumerate(
            (("Qualified", r["qualified"]), ("Not qualified", r["calls"] - r["qualified"]))
        )
    ]
    order = [str(r["industry"]).replace("_", " ") for r in rows]
    chart = (
        alt.Chart(_data(values))
        .mark_bar(cornerRadiusTopRight=2, cornerRadiusBottomRight=2)
        .encode(
            y=alt.Y("industry:N", title=None, sort=order),
            x=alt.X("calls:Q", stack="zero", axis=_count_axis()),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=["Qualified", "Not qualified"], range=[BLUE, "#bfdbfe"]),
            ),
            order=alt.Order("order:Q"),
            tooltip=["industry:N", "series:N", alt.Tooltip("calls:Q", format=",")],
        )
    )
    return _finish(chart, height=max(80, 26 * len(rows)))


def outcomes(rows: Sequence[Row]) -> Spec | None:
    if not rows:
        return None
    domain = [o for o in OUTCOME_COLORS if any(r["outcome"] == o for r in rows)]
    domain += [r["outcome"] for r in rows if r["outcome"] not in OUTCOME_COLORS]
    chart = (
        alt.Chart(_data(_plain(rows)))
        .mark_arc(innerRadius=55, stroke="#fff", strokeWidth=2)
        .encode(
            theta=alt.Theta("calls:Q"),
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(
                    domain=domain, range=[OUTCOME_COLORS.get(o, MUTED) for o in domain]
                ),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=["outcome:N", alt.Tooltip("calls:Q", format=",")],
        )
    )
    return _finish(chart)


def sentiment_curve(turns: Sequence[Row]) -> Spec:
    values = [{"turn": int(t["turn_index"]), "compound": float(t["compound"])} for t in turns]
    base = alt.Chart(_data(values))
    line = base.mark_line(color=BLUE, strokeWidth=2, point=alt.OverlayMarkDef(size=50)).encode(
        x=alt.X("turn:O", title="user turn", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("compound:Q", title="sentiment", scale=alt.Scale(domain=[-1, 1])),
        tooltip=["turn:O", alt.Tooltip("compound:Q", format="+.2f")],
    )
    zero = alt.Chart(_data([{"y": 0}])).mark_rule(color="#9ca3af").encode(y="y:Q")
    return _finish(alt.layer(zero, line), height=180)


def turn_latency(turns: Sequence[Row]) -> Spec:
    # Replies are labelled by the user turn they answer (the collector's ``turn-N`` ids).
    values = [
        {
            "reply": int(t["index"]),
            "answers": str(t.get("turn_id", "")).removeprefix("turn-"),
            "ms": float(t["e2e_latency_ms"]),
        }
        for t in turns
        if t.get("e2e_latency_ms") is not None
    ]
    chart = (
        alt.Chart(_data(values))
        .mark_bar(color=TEAL, cornerRadiusTopLeft=2, cornerRadiusTopRight=2)
        .encode(
            x=alt.X(
                "answers:N",
                title="reply to user turn",
                sort=alt.EncodingSortField("reply"),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("ms:Q", title="end-to-end latency (ms)"),
            tooltip=["answers:N", alt.Tooltip("ms:Q", format=",.0f")],
        )
    )
    return _finish(chart, height=180)
