"""Size of a typical record beside LiveKit's own session report of the same call."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from signalroom.bench.recorder import typical_turns


def bench_record_bytes(home: Path) -> dict[str, float]:
    from livekit.agents.voice.report import SessionReport

    from signalroom.config import load_settings
    from signalroom.simulate.runner import run_call

    reports: list[dict[str, Any]] = []

    def report(session: Any) -> None:
        # ``JobContext.make_session_report`` needs a room; this builds the same report from
        # the same session fields, as it would at the end of a LiveKit job.
        sr = SessionReport(
            job_id="bench",
            room_id="bench",
            room="bench",
            options=session.options,
            events=session._recorded_events,
            chat_history=session.history.copy(),
            model_usage=session.usage.model_usage,
            started_at=session._started_at,
            agent_name="signalroom-sales",
        )
        reports.append(sr.to_dict())

    settings = load_settings(home)
    record = asyncio.run(run_call(typical_turns(30), settings=settings, on_session_closed=report))
    return {
        "record_bytes": float(len(record.model_dump_json())),
        "livekit_report_bytes": float(len(json.dumps(reports[0], default=str))),
    }
