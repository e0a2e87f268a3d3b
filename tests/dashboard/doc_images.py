"""Refresh the README's dashboard images from what `make demo` produces.

    uv run python -m tests.dashboard.doc_images

Runs ``signalroom demo`` into a temporary home (the same command ``make demo`` runs), serves
``signalroom dashboard`` on it, and saves the overview and one booked call's page with headless
Chromium (Debian's /usr/bin/chromium) as docs/images/overview.png and call-detail.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.dashboard.server import dashboard_server, signalroom_cmd

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A booked call of the default seed that also searched the docs: a full timeline.
CALL = "sim-7-0007"


def _rendered(page: Any) -> None:
    charts = page.locator("[data-chart]")
    for i in range(charts.count()):
        page.wait_for_function(
            "el => el.getAttribute('data-rendered') === 'true'",
            arg=charts.nth(i).element_handle(),
            timeout=20_000,
        )


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "signalroom-demo"
        subprocess.run(
            [*signalroom_cmd(), "demo", "--sessions", "20", "--home", str(home)], check=True
        )
        url = f"duckdb://{home / 'warehouse.duckdb'}"
        with dashboard_server(url, home) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            for path, name in (("/", "overview.png"), (f"/calls/{CALL}", "call-detail.png")):
                response = page.goto(base + path)
                if response is None or response.status != 200:
                    sys.exit(f"{path} answered {response and response.status}")
                _rendered(page)
                page.screenshot(path=str(IMAGES / name), full_page=True)
                print(f"wrote {IMAGES / name}")
            browser.close()


if __name__ == "__main__":
    main()
