"""The static report: same templates, everything inline, nothing fetched."""

from __future__ import annotations

import re
from pathlib import Path

from signalroom.dashboard.report import render_report


def test_report_is_self_contained(warehouse_url, records, tmp_path: Path):
    out = render_report(warehouse_url, tmp_path / "out" / "report.html")
    html = out.read_text()
    assert out == tmp_path / "out" / "report.html"
    assert f'id="kpi-calls">{len(records)}<' in html
    assert "vegaEmbed" in html and "Most recent calls" in html
    # No stylesheet, script or image comes from anywhere else (the browser test also watches
    # the network while the file renders).
    markup = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", markup)
    assert "/static/" not in markup and 'href="/' not in markup
    assert not list(out.parent.glob("*.tmp"))


def test_report_of_an_empty_home(tmp_path: Path):
    html = render_report(f"duckdb://{tmp_path}/missing.duckdb", tmp_path / "r.html").read_text()
    assert "No data yet" in html


def test_package_exports_resolve():
    import signalroom.dashboard as dashboard
    from signalroom.dashboard.app import create_app

    assert dashboard.render_report is render_report
    assert dashboard.create_app is create_app
    assert sorted(dashboard.__all__) == ["create_app", "render_report"]
