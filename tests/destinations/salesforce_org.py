"""A local HTTPS stand-in for the Salesforce REST endpoints the destination uses.

Serves query, sobjects Lead describe/POST/PATCH and Task describe/upsert-by-external-id with
the documented response shapes (query: ``totalSize``/``done``/``records`` with
``attributes``; create: ``id``/``success``/``errors``; upsert: 201 created / 200 updated;
errors: a list of ``{"message", "errorCode"}``). TLS comes from a trustme CA so the client
runs unchanged (simple-salesforce always builds ``https://`` URLs).
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import trustme

API = "/services/data/v59.0/"
LEAD_FIELDS = {
    "Id": "id",
    "Email": "email",
    "FirstName": "string",
    "LastName": "string",
    "Company": "string",
    "LeadSource": "picklist",
    "IsConverted": "boolean",
    "ConvertedContactId": "reference",
    "CreatedDate": "datetime",
    "NumberOfEmployees": "int",
    "Industry": "picklist",
    "Signalroom_Volume__c": "double",
    "Signalroom_Urgency__c": "string",
    "Signalroom_Integrations__c": "string",
    "Signalroom_Grade__c": "string",
    "Signalroom_Score__c": "double",
    "Signalroom_Outcome__c": "string",
    "Signalroom_Last_Sync__c": "textarea",
}
TASK_FIELDS = {
    "Id": "id",
    "WhoId": "reference",
    "Subject": "string",
    "Description": "textarea",
    "Status": "picklist",
    "Type": "picklist",
    "ActivityDate": "date",
    "CallDurationInSeconds": "int",
    "Signalroom_Record_Id__c": "string",
}
_SELECT = re.compile(
    r"SELECT (?P<cols>.+?) FROM (?P<obj>\w+) WHERE Email = '(?P<email>(?:[^'\\]|\\.)*)'"
)


class FakeSalesforceOrg:
    """One org's Leads and Tasks in memory, served over HTTPS on 127.0.0.1."""

    def __init__(self, tmp: Path, token: str = "00Dtest!session") -> None:
        self.token = token
        self.leads: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.fields = {"Lead": dict(LEAD_FIELDS), "Task": dict(TASK_FIELDS)}
        self.requests: list[tuple[str, str]] = []
        self.fail_next: list[int] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca_path = tmp / "sf-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)

        org = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with org._lock:
                    org.requests.append((method, self.path))
                    if self.headers.get("Authorization") != f"Bearer {org.token}":
                        self._send(
                            401,
                            [
                                {
                                    "message": "Session expired or invalid",
                                    "errorCode": "INVALID_SESSION_ID",
                                }
                            ],
                        )
                        return
                    if org.fail_next:
                        status = org.fail_next.pop(0)
                        self._send(
                            status,
                            [{"message": "try again later", "errorCode": "SERVER_UNAVAILABLE"}],
                        )
                        return
                    status, payload = org.route(method, self.path, body)
                self._send(status, payload)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.instance_url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what a person does in the UI --------------------------------------------------------

    def add_lead(self, **values: Any) -> str:
        with self._lock:
            return self._create("Lead", values)

    # -- routing ------------------------------------------------------------------------------

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        url = urlparse(path)
        if not url.path.startswith(API):
            return 404, [{"message": "bad version", "errorCode": "NOT_FOUND"}]
        parts = [unquote(p) for p in url.path[len(API) :].strip("/").split("/")]
        if method == "GET" and parts == ["query"]:
            return self._query(parse_qs(url.query)["q"][0])
        if parts[0] != "sobjects" or len(parts) < 2 or parts[1] not in self.fields:
            return 404, [{"message": "not found", "errorCode": "NOT_FOUND"}]
        obj = parts[1]
        if method == "GET" and parts[2:] == ["describe"]:
            names = [{"name": n, "type": t} for n, t in self.fields[obj].items()]
            return 200, {"name": obj, "fields": names}
        if method == "POST" and len(parts) == 2:
            bad = self._invalid(obj, body)
            if bad:
                return bad
            missing = [f for f in ("LastName", "Company") if obj == "Lead" and not body.get(f)]
            if missing:
                return 400, [
                    {
                        "message": f"Required fields are missing: {missing}",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                    }
                ]
            new_id = self._create(obj, body)
            return 201, {"id": new_id, "success": True, "errors": []}
        if method == "PATCH" and obj == "Lead" and len(parts) == 3:
            lead = self.leads.get(parts[2])
            if lead is None:
                return 404, [
                    {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
                ]
            bad = self._invalid(obj, body)
            if bad:
                return bad
            lead.update(self._coerce(obj, body))
            return 204, None
        if method == "PATCH" and obj == "Task" and len(parts) == 4:
            return self._upsert_task(parts[2], parts[3], body)
        return 405, [{"message": "unsupported", "errorCode": "METHOD_NOT_ALLOWED"}]

    def _invalid(self, obj: str, body: dict[str, Any]) -> tuple[int, Any] | None:
        for name in body:
            if name not in self.fields[obj]:
                return 400, [
                    {
                        "message": f"No such column '{name}' on sobject of type {obj}",
                        "errorCode": "INVALID_FIELD",
                    }
                ]
        return None

    def _coerce(self, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        # Salesforce echoes Number fields as JSON floats: 200 → 200.0.
        out = dict(body)
        for name, value in body.items():
            if self.fields[obj].get(name) == "double" and value is not None:
                out[name] = float(value)
        return out

    def _create(self, obj: str, body: dict[str, Any]) -> str:
        prefix = "00Q" if obj == "Lead" else "00T"
        new_id = f"{prefix}{next(self._ids):012d}"
        row: dict[str, Any] = dict.fromkeys(self.fields[obj])
        row.update(self._coerce(obj, body))
        row["Id"] = new_id
        if obj == "Lead":
            row["IsConverted"] = bool(body.get("IsConverted", False))
            row["CreatedDate"] = datetime.now(UTC).isoformat()
            self.leads[new_id] = row
        else:
            self.tasks[new_id] = row
        return new_id

    def _query(self, soql: str) -> tuple[int, Any]:
        match = _SELECT.search(soql)
        if not match or match["obj"] != "Lead":
            return 400, [{"message": f"unsupported query {soql}", "errorCode": "MALFORMED_QUERY"}]
        cols = [c.strip() for c in match["cols"].split(",")]
        for col in cols:
            if col not in self.fields["Lead"]:
                return 400, [
                    {
                        "message": f"No such column '{col}' on entity 'Lead'",
                        "errorCode": "INVALID_FIELD",
                    }
                ]
        email = re.sub(r"\\(.)", r"\1", match["email"]).casefold()
        rows = [r for r in self.leads.values() if (r.get("Email") or "").casefold() == email]
        rows.sort(key=lambda r: (bool(r["IsConverted"]), r["CreatedDate"]))
        records = [
            {
                "attributes": {"type": "Lead", "url": f"{API}sobjects/Lead/{r['Id']}"},
                **{c: r.get(c) for c in cols},
            }
            for r in rows[:1]
        ]
        return 200, {"totalSize": len(records), "done": True, "records": records}

    def _upsert_task(self, field: str, value: str, body: dict[str, Any]) -> tuple[int, Any]:
        if field not in self.fields["Task"]:
            return 404, [
                {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
            ]
        bad = self._invalid("Task", body)
        if bad:
            return bad
        for task in self.tasks.values():
            if task.get(field) == value:
                task.update(body)
                return 200, {"id": task["Id"], "success": True, "errors": [], "created": False}
        new_id = self._create("Task", {**body, field: value})
        return 201, {"id": new_id, "success": True, "errors": [], "created": True}
