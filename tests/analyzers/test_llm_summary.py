"""The opt-in LLM summary against a local server speaking the OpenAI chat-completions API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import SecretStr

from signalroom.analyzers import default_analyzers, run_analyzers
from signalroom.analyzers.llm_summary import LLMSummaryAnalyzer
from signalroom.config import AnalyzerSettings
from signalroom.record import SessionRecord
from tests.analyzers.conftest import with_transcript


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        user = body["messages"][-1]["content"]
        reply = {
            "choices": [
                {"message": {"role": "assistant", "content": f" Summary of {len(user)} chars. "}}
            ]
        }
        data = json.dumps(reply).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.requests = []
    _Handler.status = 200
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_summary_from_openai_compatible_endpoint(seed: SessionRecord, server: str) -> None:
    record = with_transcript(seed, ["we need salesforce sync"], agent="Sure, we have that.")
    analyzer = LLMSummaryAnalyzer(base_url=server, model="tiny", api_key=SecretStr("sk-test"))
    result = analyzer.analyze(record)
    sent = _Handler.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "tiny"
    transcript = "user: we need salesforce sync\nassistant: Sure, we have that."
    assert sent["body"]["messages"][-1]["content"] == transcript
    assert result == {"summary": f"Summary of {len(transcript)} chars.", "model": "tiny"}
    assert analyzer.version == "1.0/tiny"


def test_no_transcript_makes_no_call(seed: SessionRecord, server: str) -> None:
    result = LLMSummaryAnalyzer(base_url=server, model="tiny").analyze(seed)
    assert result["summary"] is None and result["note"] == "no transcript"
    assert _Handler.requests == []


def test_server_error_becomes_an_error_result(seed: SessionRecord, server: str) -> None:
    _Handler.status = 500
    record = with_transcript(seed, ["hello"])
    analyzer = LLMSummaryAnalyzer(base_url=server, model="tiny")
    with pytest.raises(httpx.HTTPStatusError):
        analyzer.analyze(record)
    stored = run_analyzers(record, [analyzer])["llm_summary"].result
    assert "HTTPStatusError" in stored["error"]


def test_off_by_default_and_on_when_configured(server: str) -> None:
    assert "llm_summary" not in [a.name for a in default_analyzers(AnalyzerSettings())]
    chain = default_analyzers(AnalyzerSettings(llm_summary=True, llm_summary_url=server))
    assert chain[-1].name == "llm_summary"
