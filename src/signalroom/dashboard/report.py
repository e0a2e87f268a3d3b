"""A static ``report.html``: the overview page and the latest calls as one offline file.

It renders the dashboard's own templates with ``static_mode`` on: the stylesheet and the chart
scripts (vega, vega-lite, vega-embed) are inlined, so the file opens from disk with no server
and no network.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from signalroom.dashboard import pages, queries
from signalroom.dashboard.reader import WarehouseMissing, WarehouseTarget, open_reader

RECENT_CALLS = 25


def render_report(warehouse_url: str, out_path: Path) -> Path:
    """Write the snapshot of ``warehouse_url`` to ``out_path`` and return its path."""
    target = WarehouseTarget.parse(warehouse_url)
    env = pages.environment()
    common = {
        "static_mode": True,
        "assets": pages.inline_assets(),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse": target.display,
        "warehouse_label": target.label,
    }
    try:
        with open_reader(target) as db:
            context = pages.overview_context(db, window="all")
            recent = queries.leads(db, queries.LeadFilters(page=1))
        context.update(common, recent=True, rows=recent.rows[:RECENT_CALLS], title="Report")
        html = env.get_template("overview.html").render(context)
    except WarehouseMissing as exc:
        html = env.get_template("empty.html").render(
            **common, page=None, title="Report", reason=str(exc)
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader never opens a half-written report.
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path
