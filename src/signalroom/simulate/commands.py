"""``signalroom simulate --script FILE``: one scripted call through the real agent session."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from signalroom.cli_common import HomeOption, JsonFlag, QueueOption, WarehouseOption
from signalroom.console import fail, out_console, print_json


def register(app: typer.Typer) -> None:
    app.command(
        "simulate",
        help="Run one scripted call through the real AgentSession and store its record in the "
        'home\'s outbox.\n\nThe script is JSON: {"turns": ["caller utterance", ...]}. The record '
        "is marked simulated; its durations, latencies and costs come from a timing model "
        "(simulated, not measured; --audio keeps LiveKit's measurements).\n\n"
        "Example: signalroom simulate --script call.json --json",
    )(simulate)


def read_script(path: Path) -> list[str]:
    """The caller's turns from a script file; a one-line error naming the problem otherwise."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"script {path} does not exist", code=2)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read script {path}: {exc}", code=2)
    except ValueError as exc:
        fail(f"script {path} is not JSON: {exc}", code=2)
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        fail(f'script {path} must be an object like {{"turns": ["hello", ...]}}', code=2)
    turns = data["turns"]
    if not turns:
        fail(f"script {path} has no turns", code=2)
    for i, turn in enumerate(turns):
        if not isinstance(turn, str) or not turn.strip():
            fail(f"script {path}: turns[{i}] must be a non-empty string", code=2)
    return [t.strip() for t in turns]


def simulate(
    script: Annotated[
        Path, typer.Option("--script", help='JSON file: {"turns": ["caller utterance", ...]}.')
    ],
    home: HomeOption = None,
    queue: QueueOption = None,
    warehouse: WarehouseOption = None,
    audio: Annotated[
        bool, typer.Option("--audio", help="Run the audio pipeline (scripted STT and TTS).")
    ] = False,
    pace: Annotated[
        float, typer.Option("--pace", min=0.0, help="Seconds to wait before each caller turn.")
    ] = 0.0,
    no_service: Annotated[
        bool, typer.Option("--no-service", help="Stop after delivery to the queue.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    import asyncio

    from signalroom.config import load_settings, save_settings
    from signalroom.embedded import deliver, fail_undelivered
    from signalroom.homecheck import require_writable_home
    from signalroom.record import SessionRecord

    from .runner import run_call
    from .timing import TimingModel

    turns = read_script(script)
    require_writable_home(load_settings(home).home)  # before the call: its record goes there
    if home is not None and (queue or warehouse):  # as demo: a URL given sticks to its home
        save_settings(home, {"queue_url": queue, "warehouse_url": warehouse})
    settings = load_settings(home, queue_url=queue, warehouse_url=warehouse)

    agent = settings.agent
    # The call starts now; its times, latencies and usage come from the timing model
    # (simulated, not measured), so it is priced as the production models would charge.
    timing = TimingModel(
        datetime.now(UTC), llm=agent.llm, stt=agent.stt, tts=agent.tts, measured=audio
    )

    async def produce(sink: Any, done: Any) -> list[SessionRecord]:
        record = await run_call(
            turns, settings=settings, sink=sink, audio=audio, pace_s=pace, timing=timing
        )
        done(record)
        return [record]

    records, summary = asyncio.run(deliver(settings, produce, 1, no_service=no_service))
    if json_out:
        print_json(json.loads(records[0].to_json()))
    else:
        _print_summary(records[0], summary)
    fail_undelivered(summary, settings.home)


def _number(value: float | None) -> str:
    if value is None:
        return "None"
    return f"{value:g}" if not float(value).is_integer() else str(int(value))


def _value(value: Any) -> str:
    """A tool argument as said: ``"300.0"`` reads ``300``."""
    try:
        return _number(float(value))
    except (TypeError, ValueError):
        return str(value)


def tool_line(call: Any) -> str:
    """One tool call for people: what it was asked, then how it ended (when it says)."""
    args = call.arguments or {}
    if "field" in args and "value" in args:  # record_signal
        detail = f"{args['field']}={_value(args['value'])}"
    elif call.query or call.customer_email:
        detail = repr(call.query or call.customer_email)
    else:
        detail = " ".join(f"{k}={v}" for k, v in args.items())
    if call.error:
        outcome = "error: " + call.error
    elif call.success is not None:
        outcome = "ok" if call.success else "failed"
    elif call.results_found is not None:
        outcome = f"{call.total_results or 0} results" if call.results_found else "no results"
    else:
        outcome = ""
    return " ".join(part for part in (call.tool, detail, outcome) if part)


def _print_summary(record: Any, delivery: dict[str, Any]) -> None:
    from rich.table import Table

    s = record.discovered_signals
    m = record.metrics_summary
    table = Table(show_header=False, box=None)
    table.add_row("session", record.session_id)
    table.add_row("record", f"{record.record_id} (revision {record.revision})")
    table.add_row("close", str(record.close_reason))
    table.add_row("duration", f"{record.duration_seconds or 0:.0f} s (simulated timing)")
    table.add_row("stage", str(record.conversation_state))
    table.add_row(
        "signals",
        f"team_size={s.team_size} monthly_volume={_number(s.monthly_volume)} "
        f"integrations={','.join(s.integration_needs) or '-'} urgency={s.urgency} "
        f"industry={s.industry}",
    )
    for call in record.tool_calls:
        table.add_row("tool", tool_line(call))
    table.add_row(
        "usage",
        f"llm_tokens={m.llm_tokens} stt_audio_seconds={m.stt_audio_seconds} "
        f"tts_characters={m.tts_characters}",
    )
    table.add_row("queue", f"{delivery['delivered_to_queue']} → {delivery['queue']}")
    if delivery.get("warehouse"):
        table.add_row("warehouse", str(delivery["warehouse"]))
    out_console.print(table)
