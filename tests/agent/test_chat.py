"""`signalroom agent chat` as a user runs it: a subprocess fed from a pipe, against a local
OpenAI-compatible server, leaving its call in the home's warehouse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from signalroom.outbox import Outbox

from .openai_stub import OpenAIStub

pytestmark = pytest.mark.slow  # each test starts the CLI in a subprocess

CALL = (
    "Hi, we're a law firm with 40 people.\n"
    "How do templates work?\n"
    "Please book a meeting, I'm Jane Roe, jane.roe@example.com\n"
)
KEYS = ("OPENAI_API_KEY", "DEEPGRAM_API_KEY", "CARTESIA_API_KEY", "ANTHROPIC_API_KEY")


def chat(args: list[str], stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in KEYS and not k.startswith("SIGNALROOM_")
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "signalroom", "agent", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean,
        timeout=240,
        check=False,
    )


def warehouse_records(home: Path) -> list[tuple[bool, dict[str, Any]]]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT complete, record FROM sessions").fetchall()
    finally:
        con.close()
    return [(complete, json.loads(record)) for complete, record in rows]


def test_a_piped_chat_leaves_one_complete_call_in_the_warehouse(
    tmp_path: Path, openai_stub: OpenAIStub
) -> None:
    home = tmp_path / "H"
    llm = ["--llm", "openai/any-model", "--llm-base-url", openai_stub.url]
    result = chat(["chat", "--home", str(home), *llm], CALL)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    replies = result.stdout.splitlines()
    assert replies[0].startswith("Hi, thanks for calling!")  # the greeting, then one per turn
    assert "jane.roe@example.com" in replies[-1]

    [(complete, record)] = warehouse_records(home)
    assert complete and record["complete"]
    assert record["metadata"]["mode"] == "chat" and record["user_turns"] == 3
    assert record["discovered_signals"]["team_size"] == 40
    assert record["discovered_signals"]["industry"] == "legal"
    tools = {call["tool"]: call for call in record["tool_calls"]}
    assert tools["search_knowledge"]["results_found"] is True
    assert tools["book_sales_meeting"]["success"] is True
    totals = record["metrics_summary"]
    assert totals["llm_tokens"] > 0
    [usage] = [u for u in record["usage"] if u["kind"] == "llm"]
    host = openai_stub.url.split("//")[1].split("/")[0]  # the plugin names the endpoint's host
    assert (usage["provider"], usage["model"]) == (host, "any-model")
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    # every request offered the agent's tools and asked for usage in the stream
    assert all(r["stream_options"] == {"include_usage": True} for r in openai_stub.requests)
    offered = {t["function"]["name"] for t in openai_stub.requests[0]["tools"]}
    assert {"search_knowledge", "book_sales_meeting"} <= offered


def test_json_prints_the_record_and_where_it_went(tmp_path: Path, openai_stub: OpenAIStub) -> None:
    home = tmp_path / "H"
    result = chat(
        ["chat", "--home", str(home), "--json", "--llm", "openai/any-model"],
        "Hi, we're a law firm with 40 people.\n",
        SIGNALROOM_AGENT__LLM_BASE_URL=openai_stub.url,  # the endpoint from the environment
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["record"]["discovered_signals"]["team_size"] == 40
    assert out["delivery"]["delivered_to_queue"] == 1
    assert "Got it." in result.stderr  # the replies moved out of the way of the JSON


def test_a_wrong_key_is_one_line_exit_1_and_a_partial_record(
    tmp_path: Path, keyed_stub: OpenAIStub
) -> None:
    home = tmp_path / "H"
    result = chat(
        [
            "chat",
            "--home",
            str(home),
            "--llm",
            "openai/any-model",
            "--llm-base-url",
            keyed_stub.url,
        ],
        CALL,
        OPENAI_API_KEY="sk-wrong",
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [errors[0]] and "refused the key (HTTP 401)" in errors[0]
    assert "Traceback" not in result.stderr
    [(complete, record)] = warehouse_records(home)
    assert not complete and record["close_reason"] == "llm_error"
    assert record["discovered_signals"]["team_size"] == 40  # what the caller said is kept


def test_an_unreachable_endpoint_is_one_line_exit_1(tmp_path: Path) -> None:
    home = tmp_path / "H"
    dead = "http://127.0.0.1:9/v1"  # the discard port: nothing listens
    result = chat(["chat", "--home", str(home), "--llm-base-url", dead], "Hello there\n")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"cannot reach the LLM at {dead}" in result.stderr
    status = Outbox(home / "outbox.sqlite").status()
    assert status.pending == 0 and status.sent == 1  # the partial call was delivered too


def test_a_hosted_model_without_its_key_is_refused_before_the_call(tmp_path: Path) -> None:
    result = chat(["chat", "--home", str(tmp_path), "--llm", "anthropic/claude-haiku-4-5"], "")
    assert result.returncode == 2
    assert "ANTHROPIC_API_KEY" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "outbox.sqlite").exists()


def test_console_text_is_a_chat_on_the_configured_model(
    tmp_path: Path, openai_stub: OpenAIStub
) -> None:
    # the configured voice models need keys this test does not have: text mode needs only the LLM
    (tmp_path / "signalroom.toml").write_text(
        f'[agent]\nllm = "openai/any-model"\nllm_base_url = "{openai_stub.url}"\n'
    )
    result = chat(["console", "--text", "--home", str(tmp_path)], "How do templates work?\n")
    assert result.returncode == 0, result.stderr
    assert "template" in result.stdout.splitlines()[-1].lower()
    [(complete, record)] = warehouse_records(tmp_path)
    assert complete and record["tool_calls"][0]["tool"] == "search_knowledge"


def test_in_a_terminal_it_is_an_interactive_chat_that_ends_on_bye(
    tmp_path: Path, openai_stub: OpenAIStub
) -> None:
    import pty

    home = tmp_path / "H"
    env = {k: v for k, v in os.environ.items() if k not in KEYS and not k.startswith("SIGNALROOM_")}
    controller, terminal = pty.openpty()  # standard input is a terminal, as when a user types
    llm = ["--llm", "openai/any-model", "--llm-base-url", openai_stub.url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "signalroom", "agent", "chat", "--home", str(home), *llm],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    os.close(terminal)
    try:
        os.write(controller, b"How do templates work?\n/bye\n")
        out, err = proc.communicate(timeout=240)
    finally:
        os.close(controller)
    assert proc.returncode == 0, err
    assert "end with Ctrl-D, Ctrl-C or /bye" in err and "you> " in err
    replies = [line for line in out.splitlines() if line.startswith("agent> ")]
    assert len(replies) == 2 and "template" in replies[1].lower()  # the greeting, one answer
    [(complete, record)] = warehouse_records(home)
    assert complete and record["user_turns"] == 1
