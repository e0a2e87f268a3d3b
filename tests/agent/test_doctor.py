"""`signalroom doctor` covers the agent: models, plugins, keys per command, the LLM endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from signalroom.agent.doctor import agent_checks
from signalroom.config import AgentSettings

from .openai_stub import OpenAIStub

DEAD = "http://127.0.0.1:9/v1"  # the discard port: nothing listens


def by_part(settings: AgentSettings, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {c.part: (c.status, c.detail) for c in agent_checks(settings, env)}


def test_a_local_endpoint_that_answers_and_lists_the_model(openai_stub: OpenAIStub) -> None:
    settings = AgentSettings(llm="openai/any-model", llm_base_url=openai_stub.url)
    checks = by_part(settings, {})
    assert checks["agent llm"][0] == "ok" and "answers (1 models listed)" in checks["agent llm"][1]
    status, detail = checks["agent keys"]
    assert status == "warn" and detail.startswith("chat: ready; console: missing DEEPGRAM_API_KEY")
    assert "start: missing LIVEKIT_URL" in detail
    assert "at " + openai_stub.url in checks["agent models"][1]


def test_a_model_the_server_does_not_list_is_a_warning(openai_stub: OpenAIStub) -> None:
    settings = AgentSettings(llm="openai/llama3.1", llm_base_url=openai_stub.url)
    status, detail = by_part(settings, {})["agent llm"]
    assert status == "warn" and "does not list 'llama3.1'" in detail and "any-model" in detail


def test_a_refused_key_and_a_dead_endpoint_fail(keyed_stub: OpenAIStub) -> None:
    keyed = AgentSettings(llm="openai/any-model", llm_base_url=keyed_stub.url)
    status, detail = by_part(keyed, {"OPENAI_API_KEY": "sk-wrong"})["agent llm"]
    assert status == "FAIL" and "refused (HTTP 401)" in detail
    assert by_part(keyed, {"OPENAI_API_KEY": "sk-right"})["agent llm"][0] == "ok"
    dead = AgentSettings(llm="openai/any-model", llm_base_url=DEAD)
    assert by_part(dead, {})["agent llm"][0] == "FAIL"


def test_hosted_models_without_keys_are_not_contacted() -> None:
    checks = by_part(AgentSettings(llm="anthropic/claude-haiku-4-5"), {})
    assert checks["agent llm"] == (
        "warn",
        "anthropic/claude-haiku-4-5: not contacted, ANTHROPIC_API_KEY is not set",
    )
    assert "chat: missing ANTHROPIC_API_KEY" in checks["agent keys"][1]
    gemini = by_part(AgentSettings(llm="google/gemini-2.5-flash"), {})["agent llm"]
    assert gemini == ("warn", "google/gemini-2.5-flash: not contacted, GOOGLE_API_KEY is not set")
    bad = by_part(AgentSettings(llm="gpt-4"), {})
    assert bad["agent models"][0] == "FAIL" and "provider/model" in bad["agent models"][1]


def test_doctor_command_checks_the_llm_endpoint(tmp_path: Path, openai_stub: OpenAIStub) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALROOM_")}
    env["SIGNALROOM_AGENT__LLM"] = "openai/any-model"
    for url, code in ((openai_stub.url, 0), (DEAD, 1)):
        env["SIGNALROOM_AGENT__LLM_BASE_URL"] = url
        result = subprocess.run(
            [sys.executable, "-m", "signalroom", "doctor", "--home", str(tmp_path), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == code, result.stderr
        checks = {c["part"]: c for c in json.loads(result.stdout)["checks"]}
        assert checks["agent llm"]["status"] == ("ok" if code == 0 else "FAIL")
