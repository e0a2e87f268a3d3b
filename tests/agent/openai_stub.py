"""A local stand-in for an OpenAI-compatible chat-completions server, for tests.

It speaks the wire format real servers (OpenAI, Ollama, vLLM, LM Studio) speak:
``GET /v1/models``, and ``POST /v1/chat/completions`` answered as server-sent events: a role
chunk, content deltas a few words at a time, tool calls as deltas (id and name first, the JSON
arguments split over several chunks), a finish chunk, a usage chunk (``choices: []``) when
``stream_options.include_usage`` is set, then ``data: [DONE]``.

What it says is chosen by rules, like the scripted model: the OpenAI messages are read back
into chat items and handed to :func:`signalroom.testing.decide`. Tokens are estimated as one
per four characters of the request and the reply. With ``api_key`` set, any other bearer
token gets a 401 error body, as OpenAI sends it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signalroom.testing import Reply, decide


@dataclass
class _Item:
    """The few attributes of a LiveKit chat item the rules read."""

    type: str
    role: str = ""
    text_content: str = ""
    name: str = ""
    arguments: str = ""
    output: str = ""
    is_error: bool = False


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def read_messages(messages: list[dict[str, Any]]) -> list[_Item]:
    """OpenAI chat messages as chat items (tool results get their tool's name back)."""
    items: list[_Item] = []
    names: dict[str, str] = {}
    for msg in messages:
        role = msg.get("role", "")
        if role == "tool":
            output = _text(msg.get("content"))
            name = names.get(msg.get("tool_call_id", ""), "")
            items.append(
                _Item("function_call_output", name=name, output=output, is_error=_is_error(output))
            )
            continue
        text = _text(msg.get("content"))
        if text:
            items.append(_Item("message", role=role, text_content=text))
        for call in msg.get("tool_calls") or []:
            fn = call.get("function", {})
            names[call.get("id", "")] = fn.get("name", "")
            items.append(
                _Item("function_call", name=fn.get("name", ""), arguments=fn.get("arguments", ""))
            )
    return items


def _is_error(output: str) -> bool:
    # the agent's tools answer with a JSON object; a refusal is the plain sentence it raised
    try:
        return not isinstance(json.loads(output), dict)
    except ValueError:
        return True


def _tokens(chars: int) -> int:
    return math.ceil(chars / 4) if chars > 0 else 0


class OpenAIStub:
    """Serve on 127.0.0.1 (a free port) in a thread: ``with OpenAIStub() as stub: stub.url``."""

    def __init__(self, *, api_key: str | None = None, models: tuple[str, ...] = ("any-model",)):
        self.api_key = api_key
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def reply_for(self, body: dict[str, Any]) -> Reply:
        tools = {t["function"]["name"] for t in body.get("tools") or [] if "function" in t}
        return decide(read_messages(body.get("messages") or []), tools)  # type: ignore[arg-type]


def _handler(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet test output

        def _authorized(self) -> bool:
            if stub.api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {stub.api_key}":
                return True
            self._json(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
            return False

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/models":
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            now = int(time.time())
            data = [
                {"id": m, "object": "model", "created": now, "owned_by": "stub"}
                for m in stub.models
            ]
            self._json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, {"error": {"message": "body is not JSON"}})
                return
            stub.requests.append(body)
            reply = stub.reply_for(body)
            if not body.get("stream"):
                self._json(200, _completion(body, reply, len(raw)))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in _events(body, reply, len(raw)):
                data = f"data: {event}\n\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler


def _usage(request_chars: int, reply: Reply) -> dict[str, int]:
    prompt = _tokens(request_chars)
    completion = _tokens(
        len(reply.text) + sum(len(c.name) + len(json.dumps(c.arguments)) for c in reply.tool_calls)
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(body: dict[str, Any], reply: Reply, request_chars: int) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{n}",
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
            }
            for n, c in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(request_chars, reply),
    }


def _events(body: dict[str, Any], reply: Reply, request_chars: int) -> Iterator[str]:
    rid = f"chatcmpl-stub-{len(body.get('messages') or [])}"
    base = {"id": rid, "object": "chat.completion.chunk", "created": int(time.time())}
    base["model"] = body.get("model", "")

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return json.dumps({**base, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""})
    words = reply.text.split(" ") if reply.text else []
    for i in range(0, len(words), 3):
        yield chunk({"content": " ".join(words[i : i + 3]) + (" " if i + 3 < len(words) else "")})
    for n, call in enumerate(reply.tool_calls):
        args = json.dumps(call.arguments)
        head = {"index": n, "id": f"call_{rid}_{n}", "type": "function"}
        yield chunk({"tool_calls": [{**head, "function": {"name": call.name, "arguments": ""}}]})
        for i in range(0, len(args), 16):  # arguments arrive in pieces, as real servers send
            yield chunk({"tool_calls": [{"index": n, "function": {"arguments": args[i : i + 16]}}]})
    yield chunk({}, "tool_calls" if reply.tool_calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield json.dumps({**base, "choices": [], "usage": _usage(request_chars, reply)})
    yield "[DONE]"


if __name__ == "__main__":  # a stand-alone server: prints its base URL, serves until killed
    import sys

    with OpenAIStub() as served:
        sys.stdout.write(served.url + "\n")
        sys.stdout.flush()
        threading.Event().wait()
