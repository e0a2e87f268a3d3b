"""A local stand-in for a HubSpot portal's CRM API that checks the documented request shapes.

Endpoints (CRM v3, associations v4) as HubSpot documents them: private-app auth
(``Authorization: Bearer``), contacts read by email (``idProperty=email``), batch upsert by
email, notes (``hs_timestamp`` required), note-to-contact associations (type 202), GDPR delete
and property lookup. Answers use HubSpot's error shape ``{"status": "error", "message",
"category"}``; a property the portal does not define is refused as HubSpot does
(``VALIDATION_ERROR``). ``statuses`` scripts failures; ``edit`` plays a person typing a value.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "pat-na1-test-token"
BASE_PROPERTIES = {"email", "firstname", "lastname", "hs_object_id"}


class HubSpotPortal:
    def __init__(self, properties: set[str], token: str = TOKEN) -> None:
        self.token = token
        self.properties = BASE_PROPERTIES | properties
        self.contacts: dict[str, dict[str, Any]] = {}  # id → properties
        self.notes: dict[str, dict[str, Any]] = {}  # id → properties
        self.associations: set[tuple[str, str]] = set()  # (note id, contact id)
        self.blocklist: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.statuses: list[int] = []
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                with portal._lock:
                    status, answer = portal.route(
                        method, self.path, body, self.headers.get("Authorization")
                    )
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what a person or a test does in the portal -----------------------------------------
    def contact_by_email(self, email: str) -> dict[str, Any] | None:
        return next((c for c in self.contacts.values() if c.get("email") == email), None)

    def edit(self, email: str, prop: str, value: str) -> None:
        contact = self.contact_by_email(email)
        assert contact is not None
        contact[prop] = value

    def notes_of(self, email: str) -> list[dict[str, Any]]:
        contact = self.contact_by_email(email)
        if contact is None:
            return []
        cid = contact["hs_object_id"]
        return [self.notes[n] for n, c in sorted(self.associations) if c == cid]

    # -- the API ----------------------------------------------------------------------------
    def route(self, method: str, path: str, body: Any, auth: str | None) -> tuple[int, Any]:
        self.requests.append((method, path))
        if auth != f"Bearer {self.token}":
            return _error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        if self.statuses:
            return _error(self.statuses.pop(0), "scripted failure", "RATE_LIMITS")
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        route = parts.path
        contact = re.fullmatch(r"/crm/v3/objects/contacts/([^/]+)", route)
        if contact and method == "GET" and "/" not in contact[1]:
            return self._read_contact(unquote(contact[1]), query)
        if route == "/crm/v3/objects/contacts" and method == "GET":
            limit = int(query.get("limit", "10"))
            ids = sorted(self.contacts)[:limit]
            return 200, {"results": [{"id": i, "properties": {}} for i in ids]}
        if route == "/crm/v3/objects/contacts/batch/upsert" and method == "POST":
            return self._upsert(body)
        if route == "/crm/v3/objects/contacts/gdpr-delete" and method == "POST":
            return self._gdpr_delete(body)
        if route == "/crm/v3/objects/notes" and method == "POST":
            return self._note(None, body)
        if match := re.fullmatch(r"/crm/v3/objects/notes/(\d+)", route):
            if method == "PATCH":
                return self._note(match[1], body)
            if method == "DELETE":
                self.notes.pop(match[1], None)
                self.associations = {a for a in self.associations if a[0] != match[1]}
                return 204, None
        if match := re.fullmatch(r"/crm/v4/objects/notes/(\d+)/associations/contacts/(\d+)", route):
            return self._associate(method, match[1], match[2], body)
        if match := re.fullmatch(r"/crm/v3/properties/contacts/(\w+)", route):
            if match[1] in self.properties:
                return 200, {"name": match[1], "type": "string", "fieldType": "textarea"}
            return _error(404, f"Unable to find property {match[1]}", "OBJECT_NOT_FOUND")
        return _error(404, f"no route {method} {route}", "OBJECT_NOT_FOUND")

    def _read_contact(self, key: str, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("idProperty") == "email":
            contact = self.contact_by_email(key.lower())
        else:
            contact = self.contacts.get(key)
        if contact is None:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        wanted = [p for p in query.get("properties", "").split(",") if p]
        shown = {p: contact.get(p) for p in wanted if p in self.properties}
        shown["hs_object_id"] = contact["hs_object_id"]
        return 200, {"id": contact["hs_object_id"], "properties": shown, "archived": False}

    def _upsert(self, body: Any) -> tuple[int, Any]:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            return _error(400, "inputs must be a non-empty list", "VALIDATION_ERROR")
        results = []
        for item in inputs:
            if item.get("idProperty") != "email" or not isinstance(item.get("id"), str):
                return _error(400, "upsert by email needs id and idProperty", "VALIDATION_ERROR")
            props = item.get("properties")
            if not isinstance(props, dict):
                return _error(400, "properties must be an object", "VALIDATION_ERROR")
            unknown = sorted(set(props) - self.properties)
            if unknown:
                return _error(400, f'Property "{unknown[0]}" does not exist', "VALIDATION_ERROR")
            email = item["id"].lower()
            contact = self.contact_by_email(email)
            new = contact is None
            if contact is None:
                cid = str(next(self._ids))
                contact = self.contacts[cid] = {"hs_object_id": cid, "email": email}
            contact.update({k: str(v) for k, v in props.items()})
            results.append({"id": contact["hs_object_id"], "new": new, "properties": contact})
        return 200, {"status": "COMPLETE", "results": results}

    def _note(self, note_id: str | None, body: Any) -> tuple[int, Any]:
        props = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(props, dict):
            return _error(400, "properties must be an object", "VALIDATION_ERROR")
        if note_id is None:
            if not props.get("hs_timestamp"):
                return _error(400, "hs_timestamp is required", "VALIDATION_ERROR")
            note_id = str(next(self._ids))
            self.notes[note_id] = {}
            status = 201
        elif note_id not in self.notes:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        else:
            status = 200
        self.notes[note_id].update(props)
        return status, {"id": note_id, "properties": self.notes[note_id]}

    def _associate(self, method: str, note_id: str, contact_id: str, body: Any) -> tuple[int, Any]:
        valid = (
            isinstance(body, list)
            and body
            and all(
                t.get("associationCategory") == "HUBSPOT_DEFINED"
                and t.get("associationTypeId") == 202
                for t in body
            )
        )
        if method != "PUT" or not valid:
            return _error(400, "note→contact needs HUBSPOT_DEFINED type 202", "VALIDATION_ERROR")
        if note_id not in self.notes or contact_id not in self.contacts:
            return _error(404, "resource not found", "OBJECT_NOT_FOUND")
        self.associations.add((note_id, contact_id))
        return 200, {"fromObjectId": note_id, "toObjectId": contact_id}

    def _gdpr_delete(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("objectId"), str):
            return _error(400, "objectId is required", "VALIDATION_ERROR")
        if body.get("idProperty") == "email":
            contact = self.contact_by_email(body["objectId"].lower())
            if contact is None:
                self.blocklist.add(body["objectId"].lower())
                return 204, None
        else:
            contact = self.contacts.get(body["objectId"])
        if contact is not None:
            cid = contact["hs_object_id"]
            del self.contacts[cid]
            self.associations = {a for a in self.associations if a[1] != cid}
        return 204, None


def _error(status: int, message: str, category: str) -> tuple[int, Any]:
    return status, {"status": "error", "message": message, "category": category}
