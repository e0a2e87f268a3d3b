"""HubSpot: a contact per booking email and a note per call, through the CRM v3 REST API.

Per session (calls without a booking email are skipped, as in Salesforce):

1. ``GET /crm/v3/objects/contacts/{email}?idProperty=email`` reads the contact's mapped
   properties and ``sync_property``, a text property holding what signalroom last wrote there.
2. Contact properties from ``property_map`` follow the overwrite rule of every CRM destination
   (``destinations/crm.py``): a property is written only when empty or still holding what
   signalroom last wrote, so a value a person typed is never overwritten. An older call of the
   same person leaves the properties alone.
3. ``POST /crm/v3/objects/contacts/batch/upsert`` (``idProperty: email``) creates or updates
   the contact in one request.
4. The call becomes a note (``hs_note_body`` with the grade, score, signals and summary,
   ``hs_timestamp`` at the call's start) associated with the contact (association type 202).
   The note's id is kept in ``sync_property`` per record, so a redelivery updates the same
   note (``PATCH /crm/v3/objects/notes/{id}``) instead of adding one, and a revision older than
   the one the note holds changes nothing.

``erase`` deletes the person's notes and then the contact with ``POST /crm/v3/objects/contacts/
gdpr-delete`` (only for a contact that exists: HubSpot blocklists an unknown address).
Auth is a private-app access token read from the environment (``token_env``), never from the
file. httpx does the HTTP; HubSpot's generated SDK is synchronous (urllib3) and covers none of
the rules above, so it would add a dependency without removing code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.destinations.crm import (
    CRM_SOURCES,
    SyncState,
    as_utc,
    booking_email,
    booking_name,
    call_summary,
    plan_lead_update,
    signal_values,
)
from signalroom.destinations.registry import BuildContext, DestinationBackend
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.http_status import Failure, error_text, failure
from signalroom.privacy.subject import Subject
from signalroom.seam import Counts, NotErasable

#: HubSpot-defined association type of a note to a contact.
NOTE_TO_CONTACT = 202
#: Notes remembered per contact (by record id) so redeliveries update instead of adding.
_KEPT_NOTES = 50


def _default_map() -> dict[str, str]:
    return {
        "grade": "signalroom_grade",
        "score": "signalroom_score",
        "outcome": "signalroom_outcome",
        "urgency": "signalroom_urgency",
        "industry": "signalroom_industry",
        "team_size": "signalroom_team_size",
        "monthly_volume": "signalroom_volume",
        "integration_needs": "signalroom_integrations",
    }


class HubSpotSettings(BaseModel):
    """``[destinations.hubspot]``; the token comes from the environment variable ``token_env``."""

    model_config = ConfigDict(extra="forbid")

    #: The environment variable holding the token (its name, not a secret).
    token_env: str = "HUBSPOT_ACCESS_TOKEN"  # noqa: S105
    url: str = Field(default="https://api.hubapi.com", pattern=r"^https?://")
    timeout_s: float = Field(default=10.0, gt=0)
    #: Signal or result name (see docs/destinations.md) → contact property internal name.
    property_map: dict[str, str] = Field(default_factory=_default_map)
    #: Multi-line text contact property holding what signalroom last wrote (the overwrite rule).
    sync_property: str = "signalroom_last_sync"

    @field_validator("property_map")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CRM_SOURCES))
        if unknown:
            raise ValueError(
                f"unknown property_map keys {unknown}; known: {', '.join(CRM_SOURCES)}"
            )
        return value


class HubSpotDestination(Destination):
    """Upserts a contact (by booking email) and logs the call as a note on it."""

    name = "hubspot"
    required = False
    erase_hint = "erase by --email: HubSpot keeps calls as notes on the person's contact"

    def __init__(self, settings: HubSpotSettings, token: SecretStr) -> None:
        super().__init__()
        self.settings = settings
        self._client = httpx.AsyncClient(
            base_url=settings.url.rstrip("/"),
            timeout=settings.timeout_s,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
        )
        #: Why the last sessions without a usable email were skipped (for logs and tests).
        self.last_skipped: list[str] = []

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        for session in batch:  # in order: a later revision in the batch sees the earlier one
            email = booking_email(session)
            if email is None:
                self.last_skipped.append(f"{session.record_id}: no booking email")
                continue
            await self._sync(session, email.strip().lower())

    async def _sync(self, session: AnalyzedSession, email: str) -> None:
        record = session.record
        current = await self._contact(email)
        raw_sync = (current or {}).get(self.settings.sync_property)
        last = SyncState.parse(raw_sync)
        notes = _notes_of(raw_sync)
        held = notes.get(record.record_id)
        if held is not None and held[0] >= record.revision:
            return  # this revision (or a newer one) is already in HubSpot
        values = signal_values(session)
        desired = {prop: values.get(src) for src, prop in self.settings.property_map.items()}
        newer_call = last.start_time is None or as_utc(last.start_time) <= as_utc(record.start_time)
        same_older = last.record_id == record.record_id and last.revision >= record.revision
        properties: dict[str, Any] = {}
        state = last
        if newer_call and not same_older:
            to_write, owned, _kept = plan_lead_update(current or {}, last, desired)
            properties.update({k: _text(v) for k, v in to_write.items()})
            state = SyncState(
                record.record_id, record.revision, record.start_time.isoformat(), owned
            )
        if current is None:
            name = booking_name(session)
            if name:
                first, _, rest = name.partition(" ")
                properties.update(firstname=first, lastname=rest)
        note_id = await self._note(session, held[1] if held else None)
        notes[record.record_id] = (record.revision, note_id)
        properties[self.settings.sync_property] = _dump(state, notes)
        contact_id = await self._upsert_contact(email, properties)
        if held is None:
            await self._associate(note_id, contact_id)

    # -- HubSpot calls ----------------------------------------------------------------------
    async def _contact(self, email: str) -> dict[str, Any] | None:
        wanted = [*self.settings.property_map.values(), self.settings.sync_property]
        response = await self._call(
            "GET",
            f"/crm/v3/objects/contacts/{quote(email, safe='')}",
            params={"idProperty": "email", "properties": ",".join(wanted)},
            missing_ok=True,
        )
        if response is None:
            return None
        properties: dict[str, Any] = response.json().get("properties") or {}
        properties["hs_object_id"] = response.json().get("id")
        return properties

    async def _upsert_contact(self, email: str, properties: dict[str, Any]) -> str:
        body = {"inputs": [{"id": email, "idProperty": "email", "properties": properties}]}
        response = await self._call("POST", "/crm/v3/objects/contacts/batch/upsert", json=body)
        assert response is not None
        try:
            return str(response.json()["results"][0]["id"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise DestinationError(f"hubspot: unexpected upsert answer ({exc})") from None

    async def _note(self, session: AnalyzedSession, note_id: str | None) -> str:
        properties = {
            "hs_timestamp": session.record.start_time.isoformat(),
            "hs_note_body": _note_body(session),
        }
        if note_id is not None:
            response = await self._call(
                "PATCH", f"/crm/v3/objects/notes/{note_id}", json={"properties": properties}
            )
            if response is not None:
                return note_id
        created = await self._call("POST", "/crm/v3/objects/notes", json={"properties": properties})
        assert created is not None
        return str(created.json()["id"])

    async def _associate(self, note_id: str, contact_id: str) -> None:
        await self._call(
            "PUT",
            f"/crm/v4/objects/notes/{note_id}/associations/contacts/{contact_id}",
            json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT}],
        )

    async def _call(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> httpx.Response | None:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise DestinationError(
                f"hubspot: {method} {path}: {type(exc).__name__}: {exc}",
                hint="check destinations.hubspot.url and that HubSpot is reachable",
            ) from None
        if missing_ok and response.status_code == 404:
            return None
        kind = failure(response.status_code)
        message = f"hubspot: {method} {path}: HTTP {response.status_code}: {error_text(response)}"
        if kind is Failure.AUTH:
            raise DestinationRejectedError(message + " (check the private app's token and scopes)")
        if kind is Failure.UNAVAILABLE:
            raise DestinationError(message)
        if kind is Failure.REFUSED:
            raise DestinationRejectedError(message)
        return response

    # -- the backend seam (signalroom.seam) --------------------------------------------------
    async def check(self) -> str:
        """The token works (one contact read) and ``sync_property`` exists on contacts."""
        await self._call("GET", "/crm/v3/objects/contacts", params={"limit": 1})
        found = await self._call(
            "GET", f"/crm/v3/properties/contacts/{self.settings.sync_property}", missing_ok=True
        )
        if found is None:
            raise DestinationRejectedError(
                f"hubspot: the contact property {self.settings.sync_property!r} does not exist",
            )
        return f"reachable at {self.settings.url}; token accepted; contact properties present"

    async def erase(self, subject: Subject) -> Counts:
        return await self._matching(subject, delete=True)

    async def count(self, subject: Subject) -> Counts:
        return await self._matching(subject, delete=False)

    async def _matching(self, subject: Subject, *, delete: bool) -> Counts:
        if subject.email is None:
            raise NotErasable(f"hubspot: {self.erase_hint}")
        current = await self._contact(subject.email)
        if current is None:
            return {"contacts": 0, "notes": 0}
        notes = _notes_of(current.get(self.settings.sync_property))
        if delete:
            for _, note_id in notes.values():
                await self._call("DELETE", f"/crm/v3/objects/notes/{note_id}", missing_ok=True)
            await self._call(
                "POST",
                "/crm/v3/objects/contacts/gdpr-delete",
                json={"objectId": subject.email, "idProperty": "email"},
            )
        return {"contacts": 1, "notes": len(notes)}

    async def close(self) -> None:
        await self._client.aclose()


def _note_body(session: AnalyzedSession) -> str:
    values = signal_values(session)
    known = [f"{name.replace('_', ' ')}: {v}" for name, v in values.items() if v is not None]
    return "\n".join([call_summary(session), "Signals: " + ("; ".join(known) or "none")])[:65_000]


def _text(value: Any) -> str:
    """HubSpot takes every property value as a string (numbers and booleans included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _notes_of(raw: object) -> dict[str, tuple[int, str]]:
    """record id → (revision, note id) kept beside the sync state; {} when unreadable."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
        notes = data.get("notes", {}) if isinstance(data, dict) else {}
        return {str(k): (int(v[0]), str(v[1])) for k, v in notes.items()}
    except (ValueError, TypeError, IndexError, AttributeError):
        return {}


def _dump(state: SyncState, notes: dict[str, tuple[int, str]]) -> str:
    data = json.loads(state.dump())
    data["notes"] = {k: list(v) for k, v in list(notes.items())[-_KEPT_NOTES:]}
    return json.dumps(data, sort_keys=True)


def _build(settings: HubSpotSettings, context: BuildContext) -> HubSpotDestination:
    token = os.environ.get(settings.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"destinations.hubspot needs a private-app access token in ${settings.token_env}",
            hint="create a private app in HubSpot (scopes crm.objects.contacts.read/write) "
            f"and export {settings.token_env}",
        )
    return HubSpotDestination(settings, SecretStr(token))


BACKEND = DestinationBackend(settings=HubSpotSettings, build=_build)
