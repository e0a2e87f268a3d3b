"""The read-only dashboard over the warehouse, and the static report built from its templates.

``create_app(warehouse_url, token=...)`` is the FastAPI app behind ``signalroom dashboard``;
``render_report(warehouse_url, out_path)`` writes the offline ``report.html`` snapshot. Both are
imported on first use, so importing this package (as the CLI does) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signalroom.dashboard.app import create_app
    from signalroom.dashboard.report import render_report

__all__ = ["create_app", "render_report"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from signalroom.dashboard.app import create_app

        return create_app
    if name == "render_report":
        from signalroom.dashboard.report import render_report

        return render_report
    raise AttributeError(f"module 'signalroom.dashboard' has no attribute {name!r}")
