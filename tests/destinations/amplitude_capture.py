"""A local stand-in for Amplitude's HTTP V2 API that keeps every request body.

Answers as the API documents: 200 ``{"code": 200, "events_ingested", "payload_size_bytes",
"server_upload_time"}``; an unknown key gets 400 ``{"code": 400, "error": "Invalid API key:
..."}``; scripted statuses (e.g. 503) come first when set.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-amplitude-key"


class AmplitudeCapture:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.statuses: list[int] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                capture.raw.append(raw)
                capture.bodies.append(body)
                if capture.statuses:
                    status = capture.statuses.pop(0)
                    answer: dict[str, Any] = {"code": status, "error": "scripted failure"}
                elif body.get("api_key") != capture.api_key:
                    status = 400
                    answer = {"code": 400, "error": f"Invalid API key: {body.get('api_key')}"}
                else:
                    status = 200
                    answer = {
                        "code": 200,
                        "events_ingested": len(body["events"]),
                        "payload_size_bytes": len(raw),
                        "server_upload_time": int(time.time() * 1000),
                    }
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/2/httpapi"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for body in self.bodies for e in body["events"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
