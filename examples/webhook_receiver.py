"""A small receiver for signalroom webhooks: verify, deduplicate, then act.

Checks, in order, before the event is trusted:
1. body size (413 past 1 MiB);
2. the Standard Webhooks signature over ``webhook-id.webhook-timestamp.body`` with your
   secret (401 when a header is missing or no signature matches);
3. the timestamp is within 5 minutes of now (400 when too old or too new), so a captured
   request cannot be replayed later;
4. the ``webhook-id`` was not handled before (inside the 5-minute window a replayed or retried
   delivery answers 200 ``{"status": "duplicate"}`` and is NOT processed again; signalroom
   retries with the same id, so a 2xx here stops its retries).

``standardwebhooks`` does steps 2 and 3. Run::

    export WEBHOOK_SECRET=whsec_...        # the same secret as destinations.webhooks[].secret
    python examples/webhook_receiver.py --port 8080 --out events.jsonl

Needs only the standard library and ``pip install standardwebhooks``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

MAX_BODY_BYTES = 1_048_576
#: standardwebhooks accepts timestamps up to 5 minutes off; remember ids a bit longer.
SEEN_TTL_S = 11 * 60


class SeenIds:
    """webhook-ids handled recently; older ones fail the timestamp check anyway."""

    def __init__(self, ttl_s: float = SEEN_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, msg_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for key, at in list(self._seen.items()):
                if now - at > self.ttl_s:
                    del self._seen[key]
            if msg_id in self._seen:
                return False
            self._seen[msg_id] = now
            return True


def handle_event(event: dict[str, Any], out: Path | None) -> None:
    """Your business logic goes here. This example appends the event to a JSONL file."""
    data = event.get("data", {})
    grade = data.get("analysis", {}).get("lead_score", {}).get("result", {}).get("grade")
    print(f"{event.get('type')} record={data.get('record_id')} grade={grade}", flush=True)
    if out is not None:
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")


def make_server(host: str, port: int, secret: str, out: Path | None) -> ThreadingHTTPServer:
    verifier = Webhook(secret)
    seen = SeenIds()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(413, {"error": "body too large"})
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verifier.verify(body, headers, json_parse=False)
            except WebhookVerificationError as exc:
                # Too old / too new is a timing problem (400); the rest is authenticity (401).
                status = 400 if "timestamp" in str(exc).lower() else 401
                self._answer(status, {"error": str(exc)})
                return
            except ValueError:  # a malformed signature header or a body that is not UTF-8
                self._answer(401, {"error": "malformed signature"})
                return
            try:
                event = json.loads(body)
            except ValueError:  # signed, but not JSON: the sender is broken, not forged
                self._answer(400, {"error": "body is not JSON"})
                return
            if not seen.first_time(headers["webhook-id"]):
                self._answer(200, {"status": "duplicate"})
                return
            handle_event(event, out)
            self._answer(200, {"status": "ok"})

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Receive and verify signalroom webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--out", type=Path, help="append verified events to this JSONL file")
    args = parser.parse_args(argv)
    secret = os.environ.get("WEBHOOK_SECRET")
    if not secret:
        print("set WEBHOOK_SECRET to the endpoint's whsec_ secret", file=sys.stderr)
        return 2
    server = make_server(args.host, args.port, secret, args.out)
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
