"""The dashboard web app (FastAPI, server-rendered Jinja2 pages).

Routes: ``/`` overview, ``/leads`` (+ ``/leads.csv``), ``/calls/{session_id}``, ``/healthz``,
and ``/static``. Page handlers are plain functions, so FastAPI runs them in its thread pool and
a slow warehouse never blocks the event loop. Each page opens the warehouse read-only for its
own queries only (see :mod:`signalroom.dashboard.reader`).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from signalroom.dashboard import pages, queries
from signalroom.dashboard.auth import TokenGate
from signalroom.dashboard.csv_safe import csv_cell
from signalroom.dashboard.queries import GRADES, OUTCOMES, SORTABLE, URGENCIES, LeadFilters
from signalroom.dashboard.reader import (
    LOCK_BUDGET_S,
    WarehouseMissing,
    WarehouseTarget,
    open_reader,
)
from signalroom.errors import WarehouseLockedError

#: Vega compiles chart expressions with ``new Function`` and vega-embed injects its styles,
#: hence ``unsafe-eval`` and inline styles; nothing may load from another origin.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class BadFilter(ValueError):
    """A leads query parameter is invalid; the message names it."""


def parse_filters(params: Any) -> LeadFilters:
    """Validate the leads query string (``request.query_params``) into :class:`LeadFilters`."""

    def one_of(key: str, allowed: tuple[str, ...]) -> str | None:
        value = params.get(key) or None
        if value is not None and value not in allowed:
            raise BadFilter(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def day(key: str) -> date | None:
        value = params.get(key) or None
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise BadFilter(f"{key} must be a date like 2025-01-28; got {value!r}") from None

    grades = [g for g in params.getlist("grade") if g]
    for grade in grades:
        if grade not in GRADES:
            raise BadFilter(f"grade must be one of {', '.join(GRADES)}; got {grade!r}")
    sort = params.get("sort") or "start_time"
    if sort not in SORTABLE:
        raise BadFilter(f"sort must be one of {', '.join(SORTABLE)}; got {sort!r}")
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadFilter(f"order must be asc or desc; got {order!r}")
    page_raw = params.get("page") or "1"
    if not page_raw.isdigit() or int(page_raw) < 1:
        raise BadFilter(f"page must be a positive whole number; got {page_raw!r}")
    industry = params.get("industry") or None
    if industry is not None and len(industry) > 64:
        raise BadFilter("industry is longer than 64 characters")
    return LeadFilters(
        grade=grades,
        industry=industry,
        urgency=one_of("urgency", URGENCIES),
        outcome=one_of("outcome", OUTCOMES),
        date_from=day("date_from"),
        date_to=day("date_to"),
        sort=sort,
        order="asc" if order == "asc" else "desc",
        page=int(page_raw),
    )


def create_app(
    warehouse_url: str, *, token: str | None = None, lock_budget_s: float = LOCK_BUDGET_S
) -> FastAPI:
    """The dashboard over ``warehouse_url``; ``token`` protects it (see :mod:`.auth`).

    ``lock_budget_s`` bounds how long one request waits for the DuckDB writer to let go of
    the file before the page answers 503.
    """
    target = WarehouseTarget.parse(warehouse_url)
    env = pages.environment()
    app = FastAPI(title="signalroom dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.middleware("http")(TokenGate(token))

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    static_dir = resources.files("signalroom.dashboard").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")

    def render(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        html = env.get_template(name).render(
            warehouse=target.display, warehouse_label=target.label, **context
        )
        return HTMLResponse(html, status_code=status)

    def page(name: str, build: Any, *args: Any) -> HTMLResponse:
        try:
            with open_reader(target, budget_s=lock_budget_s) as db:
                context = build(db, *args)
        except WarehouseMissing as exc:
            return render("empty.html", {"page": None, "title": "No data yet", "reason": str(exc)})
        except WarehouseLockedError as exc:
            response = render(
                "error.html",
                {"page": None, "title": "Busy", "status": 503, "message": str(exc)},
                503,
            )
            response.headers["Retry-After"] = "1"
            return response
        if context is None:
            return not_found()
        return render(name, context)

    def not_found(message: str = "There is no page at this address.") -> HTMLResponse:
        return render(
            "error.html",
            {"page": None, "title": "Not found", "status": 404, "message": message},
            404,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return not_found()
        return PlainTextResponse(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code)

    @app.exception_handler(BadFilter)
    async def _bad_filter(request: Request, exc: BadFilter) -> Response:
        return render(
            "error.html",
            {"page": None, "title": "Bad request", "status": 400, "message": str(exc)},
            400,
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/", response_class=HTMLResponse)
    def overview(days: str = pages.DEFAULT_WINDOW) -> HTMLResponse:
        if days not in pages.WINDOWS:
            raise BadFilter(f"days must be one of {', '.join(pages.WINDOWS)}; got {days!r}")
        return page("overview.html", pages.overview_context, days)

    @app.get("/leads", response_class=HTMLResponse)
    def leads(request: Request) -> HTMLResponse:
        return page("leads.html", pages.leads_context, parse_filters(request.query_params))

    @app.get("/leads.csv")
    def leads_csv(request: Request) -> Response:
        filters = parse_filters(request.query_params)
        try:
            spooled = _write_csv(target, filters, lock_budget_s)
        except WarehouseMissing:
            spooled = _csv_file([])
        except WarehouseLockedError as exc:
            return PlainTextResponse(f"503: {exc}\n", status_code=503, headers={"Retry-After": "1"})
        return StreamingResponse(
            _chunks(spooled),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
        )

    @app.get("/calls/{session_id}", response_class=HTMLResponse)
    def call_page(session_id: str) -> HTMLResponse:
        def build(db: Any) -> dict[str, Any] | None:
            data = queries.call(db, session_id)
            return pages.call_context(data) if data else None

        response = page("call.html", build)
        if response.status_code == 404:
            return not_found(f"No call with session id {session_id!r} is in the warehouse.")
        return response

    return app


def _csv_file(rows: Any) -> Any:
    spooled = tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b")  # noqa: SIM115
    text = io.TextIOWrapper(spooled, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(queries.LEAD_COLUMNS)
    for row in rows:
        writer.writerow(csv_cell(row[c]) for c in queries.LEAD_COLUMNS)
    text.detach()
    spooled.seek(0)
    return spooled


def _write_csv(target: WarehouseTarget, filters: LeadFilters, budget_s: float) -> Any:
    # Rows go to a spooled file while the warehouse is open, then the connection closes:
    # a slow download never keeps the DuckDB writer waiting.
    with open_reader(target, budget_s=budget_s) as db:
        return _csv_file(queries.iter_leads(db, filters))


def _chunks(spooled: Any, size: int = 64 << 10) -> Iterator[bytes]:
    try:
        while chunk := spooled.read(size):
            yield chunk
    finally:
        spooled.close()
