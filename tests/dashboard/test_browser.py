"""The dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Screenshots go to tests/artifacts/. The README's images come from the demo's own output instead:
``uv run python -m tests.dashboard.doc_images``.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from signalroom.dashboard.report import render_report
from tests.dashboard.server import dashboard_server

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


class Watched:
    """A page plus every console error, page error and request it produced."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def charts_rendered(self) -> int:
        charts = self.page.locator("[data-chart]")
        count = charts.count()
        for i in range(count):
            chart = charts.nth(i)
            chart.locator("svg").first.wait_for(timeout=10_000)
            self.page.wait_for_function(
                "el => el.getAttribute('data-rendered') === 'true'",
                arg=chart.element_handle(),
                timeout=10_000,
            )
            marks = chart.locator("svg path, svg rect, svg line").count()
            assert marks > 3, f"chart {i} drew nothing"
        return count

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.context.close()


def test_every_page_loads_cleanly_and_draws_its_charts(watched: Watched, base_url, records):
    expected_charts = {"/": 6, "/?days=all": 6, "/leads": 0, f"/calls/{records[1].session_id}": 2}
    for path, charts in expected_charts.items():
        response = watched.page.goto(base_url + path)
        assert response is not None and response.status == 200
        assert watched.charts_rendered() == charts, path
    assert watched.errors == []
    # Everything, chart libraries included, came from the dashboard itself.
    assert all(url.startswith(base_url) for url in watched.requests), watched.requests
    watched.page.goto(base_url + "/?days=all")
    watched.charts_rendered()
    for chart in ("calls", "latency"):
        labels = _x_labels(watched.page, chart)
        assert labels and len(labels) == len(set(labels)), (chart, labels)
    assert watched.page.locator("#simulated-badge").count() == 0  # no simulated call here
    watched.shot("overview")


def test_a_filter_changes_the_table(watched: Watched, base_url, records):
    page = watched.page
    page.goto(base_url + "/leads")
    rows = page.locator("#leads-table tbody tr")
    assert rows.count() == len(records)
    page.select_option("#f-industry", "legal")
    page.check("input[name=grade][value=A]")
    with page.expect_navigation():
        page.click("#apply")
    assert "industry=legal" in page.url and "grade=A" in page.url
    legal_a = rows.count()
    assert 0 < legal_a < len(records)
    for i in range(legal_a):
        cells = rows.nth(i).locator("td")
        assert cells.nth(5).inner_text() == "legal"
        assert cells.nth(2).inner_text() == "A"
    export = page.get_attribute("#export", "href")
    assert export is not None and "industry=legal" in export
    watched.shot("leads-filtered")
    assert watched.errors == []


def test_clicking_a_lead_opens_its_call(watched: Watched, base_url):
    page = watched.page
    page.goto(base_url + "/leads?sort=score&order=desc")
    link = page.locator("#leads-table tbody tr a").first
    session_id = link.inner_text()
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/calls/{session_id}")
    assert session_id in page.locator("h1").inner_text()
    assert page.locator("#timeline mark.sig").count() >= 3
    assert page.locator("#timeline .tl-tool").count() >= 1
    assert page.locator("#analyzers tbody tr").count() == 5
    assert watched.charts_rendered() == 2
    assert watched.errors == []
    watched.shot("call-detail")


def test_unknown_call_shows_the_404_page(watched: Watched, base_url):
    response = watched.page.goto(base_url + "/calls/nobody-called")
    assert response is not None and response.status == 404
    assert "nobody-called" in watched.page.locator("main").inner_text()


def _own_address() -> str | None:
    """A non-loopback IPv4 address of this machine, if it has one."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except OSError:
        return None
    for candidate in out.split():
        if ":" not in candidate and not candidate.startswith("127."):
            try:
                with socket.socket() as s:
                    s.bind((candidate, 0))
                return candidate
            except OSError:
                continue
    return None


def test_off_localhost_needs_the_token(browser, warehouse_url, tmp_path: Path):
    address = _own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to bind")
    env = {"SIGNALROOM_DASHBOARD__TOKEN": "tok-" + os.urandom(8).hex()}
    with dashboard_server(warehouse_url, tmp_path, host=address, env=env) as base:
        w = Watched(browser)
        try:
            refused = w.page.goto(base + "/leads")
            assert refused is not None and refused.status == 401
            opened = w.page.goto(base + "/leads?token=" + env["SIGNALROOM_DASHBOARD__TOKEN"])
            assert opened is not None and opened.status == 200
            assert w.page.url == base + "/leads"  # the token left the address bar
            cookie = next(c for c in w.context.cookies() if c["name"] == "signalroom_dashboard")
            assert cookie["httpOnly"] is True
            again = w.page.goto(base + "/")
            assert again is not None and again.status == 200
            assert w.charts_rendered() == 6
        finally:
            w.context.close()


def test_report_opens_offline_from_disk(watched: Watched, warehouse_url, tmp_path: Path):
    report = render_report(warehouse_url, tmp_path / "report.html")
    blocked: list[str] = []

    def only_files(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    watched.context.route("**/*", only_files)
    watched.page.goto(report.as_uri())
    assert watched.charts_rendered() == 6
    assert blocked == [] and watched.errors == []
    watched.shot("report")


def _x_labels(page: Any, chart: str) -> list[str]:
    axis = page.locator(f'[data-chart="spec-{chart}"] svg g[aria-label^="X-axis"]').first
    texts: list[str] = axis.locator("g.role-axis-label text").all_text_contents()
    return texts


def test_a_day_of_simulated_calls_reads_well(watched: Watched, tmp_path: Path):
    """One day of calls and no latency: day labels never repeat, the empty chart says so, and
    the simulated calls are badged."""
    from datetime import UTC, datetime, timedelta

    from signalroom.record import SessionRecord
    from tests.dashboard.records import demo_records, write_warehouse

    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    records = []
    for i, record in enumerate(demo_records(6, now=day)[1:]):
        data = record.model_dump(mode="python")
        data.update(
            session_id=f"sim-day-{i}",
            record_id="",
            start_time=day + timedelta(minutes=40 * i),
            end_time=None,
            turns=[],
            metadata={"simulated": True},
        )
        records.append(SessionRecord.model_validate(data))
    url = f"duckdb://{tmp_path / 'day.duckdb'}"
    write_warehouse(url, records)
    report = render_report(url, tmp_path / "report.html")
    watched.page.goto(report.as_uri())
    assert watched.charts_rendered() == 5
    labels = _x_labels(watched.page, "calls")
    assert labels and len(labels) == len(set(labels)), labels
    assert watched.page.locator("#no-data-latency").inner_text() == "No data for this period"
    assert watched.page.locator("#simulated-badge").is_visible()
    assert watched.errors == []
    watched.shot("report-one-day")
