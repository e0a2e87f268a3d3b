"""Salesforce: a Lead per booking email, a Task per call, through ``simple-salesforce``.

simple-salesforce does the REST calls, SOQL quoting (``format_soql``), external-id URLs and
session refresh after a password login; this module decides what to write.

Per session:
1. The booking tool call's ``customer_email`` finds the Lead (unconverted first). A call
   without a usable email is skipped; the reason is kept in ``last_skipped`` and logged.
2. Lead fields from ``field_map`` follow one rule: a field is written only when it is empty
   or still holds what signalroom last wrote there (kept as JSON in ``sync_field`` on the
   Lead). A value a person typed is never overwritten; once a person changes a field,
   signalroom leaves it alone until it is cleared. Missing signals never clear a field.
3. The call becomes a Task upserted on an external-id field holding ``record_id``, so a
   redelivery updates the same Task instead of adding one.
A record older than the one already synced (same record with a lower revision) changes
nothing; an older call of the same person still logs its Task but leaves Lead fields alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

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

if TYPE_CHECKING:
    import requests

log = logging.getLogger("signalroom.destinations.salesforce")

_RETRYABLE_CODES = {"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}


_SF_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"


def _default_salesforce_map() -> dict[str, str]:
    return {
        "team_size": "NumberOfEmployees",
        "industry": "Industry",
        "monthly_volume": "Signalroom_Volume__c",
        "urgency": "Signalroom_Urgency__c",
        "integration_needs": "Signalroom_Integrations__c",
        "grade": "Signalroom_Grade__c",
        "score": "Signalroom_Score__c",
        "outcome": "Signalroom_Outcome__c",
    }


class SalesforceSettings(BaseModel):
    """A Lead per booking email and a Task per call (docs/destinations.md#salesforce).

    Auth: ``instance_url`` + ``session_id`` (an OAuth access token), or ``username`` +
    ``password`` + ``security_token`` (SOAP login against ``domain``: login or test).
    """

    model_config = ConfigDict(extra="forbid")

    instance_url: str | None = None
    session_id: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    domain: str = "login"
    api_version: str = "59.0"
    timeout_s: float = Field(default=10.0, gt=0)
    #: CA bundle for TLS verification (a corporate proxy, or a local stand-in in tests).
    ca_bundle: Path | None = None
    #: Signal or result name → Lead field API name. Keys left out are not synced.
    field_map: dict[str, Annotated[str, Field(pattern=_SF_NAME)]] = Field(
        default_factory=_default_salesforce_map
    )
    #: Long text field on Lead holding what signalroom last wrote (the overwrite rule).
    sync_field: str = Field(default="Signalroom_Last_Sync__c", pattern=_SF_NAME)
    #: External ID (unique) text field on Task holding the record_id: makes the Task idempotent.
    task_record_id_field: str = Field(default="Signalroom_Record_Id__c", pattern=_SF_NAME)
    lead_source: str = "Signalroom voice agent"
    #: Company is required on a new Lead; the call rarely says it.
    company_placeholder: str = "[not provided]"

    @field_validator("field_map")
    @classmethod
    def _known_sources(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(CRM_SOURCES))
        if unknown:
            raise ValueError(f"unknown field_map keys {unknown}; known: {', '.join(CRM_SOURCES)}")
        return value

    @model_validator(mode="after")
    def _has_auth(self) -> SalesforceSettings:
        direct = self.instance_url is not None and self.session_id is not None
        password = None not in (self.username, self.password, self.security_token)
        if not (direct or password):
            raise ValueError(
                "salesforce needs instance_url + session_id, "
                "or username + password + security_token"
            )
        return self


class SalesforceAuthError(DestinationRejectedError):
    """The org refused our credentials: every record would fail the same way."""


def _require_sdk() -> Any:
    try:
        import simple_salesforce
    except ImportError:
        raise ConfigError(
            "the Salesforce destination needs simple-salesforce",
            hint="install the extra: pip install 'signalroom[salesforce]'",
        ) from None
    return simple_salesforce


class SalesforceDestination(Destination):
    """Upserts a Lead (by booking email) and logs the call as a Task (by record_id)."""

    name = "salesforce"
    required = False
    erase_hint = "erase the Lead and its Tasks there (docs/privacy.md#crm-and-other-receivers)"

    def __init__(self, settings: SalesforceSettings) -> None:
        super().__init__()
        self._sdk = _require_sdk()
        self.settings = settings
        self._client: Any = None
        self._client_lock = asyncio.Lock()
        #: record_id → why it was not written, for the last batch (a call without an email).
        self.last_skipped: dict[str, str] = {}

    # -- connection -------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        import requests

        timeout = self.settings.timeout_s
        ca_bundle = str(self.settings.ca_bundle) if self.settings.ca_bundle else None

        class _Session(requests.Session):
            # simple-salesforce passes no timeout on most calls; a hung socket must not hold a
            # service worker forever. The CA bundle goes per request because requests lets
            # REQUESTS_CA_BUNDLE override a session's own ``verify``.
            def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> Any:  # type: ignore[override]
                kwargs.setdefault("timeout", timeout)
                if ca_bundle is not None:
                    kwargs.setdefault("verify", ca_bundle)
                return super().request(method, url, **kwargs)

        return _Session()

    def _connect(self) -> Any:
        s = self.settings
        kwargs: dict[str, Any] = {"version": s.api_version, "session": self._session()}
        if s.instance_url is not None and s.session_id is not None:
            kwargs.update(instance_url=s.instance_url, session_id=s.session_id.get_secret_value())
        elif s.username and s.password and s.security_token:
            kwargs.update(
                username=s.username,
                password=s.password.get_secret_value(),
                security_token=s.security_token.get_secret_value(),
                domain=s.domain,
            )
        return self._call(lambda: self._sdk.Salesforce(**kwargs))

    async def _sf(self) -> Any:
        async with self._client_lock:
            if self._client is None:
                self._client = await asyncio.to_thread(self._connect)
            return self._client

    def _call(self, fn: Any) -> Any:
        """Run one SDK call, turning its exceptions into retryable or rejected errors."""
        import requests

        sdk = self._sdk
        try:
            return fn()
        except sdk.SalesforceAuthenticationFailed as exc:
            raise SalesforceAuthError(
                f"salesforce: login refused: {exc.code}: {exc.auth_message}",
                hint="check destinations.salesforce credentials",
            ) from None
        except sdk.SalesforceExpiredSession as exc:
            raise SalesforceAuthError(
                f"salesforce: session refused ({_codes(exc)})",
                hint="the session_id (access token) expired or is wrong; set a new one or "
                "use username + password + security_token",
            ) from None
        except sdk.SalesforceError as exc:
            codes = _codes(exc)
            message = f"salesforce: HTTP {exc.status} on {exc.resource_name}: {_messages(exc)}"
            if exc.status >= 500 or set(codes.split(", ")) & _RETRYABLE_CODES:
                raise DestinationError(message) from None
            hint = None
            if "INVALID_FIELD" in codes or "NOT_FOUND" in codes:
                hint = "create the custom fields listed in docs/destinations.md or edit field_map"
            raise DestinationRejectedError(message, hint=hint) from None
        except requests.RequestException as exc:
            # The exception text holds the URL, and a query URL holds the email: leave it out.
            where = self.settings.instance_url or f"{self.settings.domain}.salesforce.com"
            raise DestinationError(f"salesforce: {type(exc).__name__} talking to {where}") from None

    # -- writing ----------------------------------------------------------------------------

    async def _write(self, batch: Sequence[AnalyzedSession]) -> None:
        sf = await self._sf()
        self.last_skipped = {}
        rejected: list[DestinationRejectedError] = []
        for session in batch:
            try:
                reason = await asyncio.to_thread(self._sync_one, sf, session)
            except SalesforceAuthError:
                raise
            except DestinationRejectedError as exc:
                # One refused record must not hold back the others of the batch.
                exc.args = (f"{session.record_id}: {exc}",)
                rejected.append(exc)
                continue
            if reason:
                self.last_skipped[session.record_id] = reason
                log.info("salesforce skipped %s: %s", session.record_id, reason)
        if rejected:
            hint = next((e.hint for e in rejected if e.hint), None)
            raise DestinationRejectedError("; ".join(map(str, rejected)), hint=hint)

    def _sync_one(self, sf: Any, session: AnalyzedSession) -> str | None:
        email = booking_email(session)
        if email is None:
            return "no booking email in this call"
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            return "booking email is not an address (hashed or redacted by privacy policy?)"

        s = self.settings
        rec = session.record
        lead = self._find_lead(sf, email)
        last = SyncState.parse(lead.get(s.sync_field)) if lead else SyncState()
        if last.record_id == rec.record_id and last.revision > rec.revision:
            return f"revision {rec.revision} is older than synced revision {last.revision}"
        older_call = (
            last.record_id not in (None, rec.record_id)
            and last.start_time is not None
            and as_utc(last.start_time) > as_utc(rec.start_time)
        )
        desired = {
            s.field_map[src]: value
            for src, value in signal_values(session).items()
            if src in s.field_map
        }

        if lead is None:
            lead_id = self._create_lead(sf, session, email, desired)
        elif lead.get("IsConverted"):
            # A converted Lead cannot be updated; the call belongs to the contact now.
            lead_id = lead.get("ConvertedContactId") or lead["Id"]
        elif older_call:
            lead_id = lead["Id"]
        else:
            lead_id = lead["Id"]
            to_write, owned, kept = plan_lead_update(lead, last, desired)
            state = SyncState(rec.record_id, rec.revision, rec.start_time.isoformat(), owned)
            if kept:
                log.info("salesforce lead %s: kept person-edited fields %s", lead_id, kept)
            if to_write or state.dump() != lead.get(s.sync_field):
                body = {**to_write, s.sync_field: state.dump()}
                self._call(lambda: sf.Lead.update(lead_id, body))
        self._upsert_task(sf, session, lead_id)
        return None

    def _find_lead(self, sf: Any, email: str) -> dict[str, Any] | None:
        s = self.settings
        columns = ["Id", "IsConverted", "ConvertedContactId", s.sync_field]
        columns += [name for name in s.field_map.values() if name not in columns]
        # Field names are validated API names (config); the email is quoted by format_soql.
        soql = self._sdk.format_soql(
            "SELECT " + ", ".join(columns) + " FROM Lead WHERE Email = {} "
            "ORDER BY IsConverted ASC, CreatedDate ASC LIMIT 1",
            email,
        )
        result = self._call(lambda: sf.query(soql))
        records = result.get("records") or []
        return dict(records[0]) if records else None

    def _create_lead(
        self, sf: Any, session: AnalyzedSession, email: str, desired: dict[str, Any]
    ) -> str:
        s = self.settings
        rec = session.record
        name = (booking_name(session) or "").strip()
        first, _, last_name = name.rpartition(" ")
        values = {k: v for k, v in desired.items() if v is not None}
        state = SyncState(rec.record_id, rec.revision, rec.start_time.isoformat(), values)
        body: dict[str, Any] = {
            **values,
            "Email": email,
            "LastName": last_name or email.split("@", 1)[0],
            "Company": s.company_placeholder,
            "LeadSource": s.lead_source,
            s.sync_field: state.dump(),
        }
        if first:
            body["FirstName"] = first
        created = self._call(lambda: sf.Lead.create(body))
        if not created.get("success", False):
            raise DestinationRejectedError(f"salesforce: Lead not created: {created.get('errors')}")
        return str(created["id"])

    def _upsert_task(self, sf: Any, session: AnalyzedSession, who_id: str) -> None:
        rec = session.record
        when: datetime = rec.end_time or rec.start_time
        body: dict[str, Any] = {
            "WhoId": who_id,
            "Subject": f"Sales call {rec.session_id}"[:255],
            "Description": call_summary(session),
            "Status": "Completed",
            "Type": "Call",
            "ActivityDate": when.date().isoformat(),
        }
        if rec.duration_seconds is not None:
            body["CallDurationInSeconds"] = round(rec.duration_seconds)
        key = self._sdk.format_external_id(self.settings.task_record_id_field, rec.record_id)
        self._call(lambda: sf.Task.upsert(key, body))

    # -- doctor -----------------------------------------------------------------------------

    async def check(self) -> str:
        sf = await self._sf()
        s = self.settings
        missing: list[str] = []
        for obj, needed in (
            ("Lead", {*s.field_map.values(), s.sync_field}),
            ("Task", {s.task_record_id_field}),
        ):
            described = await asyncio.to_thread(
                self._call, lambda obj=obj: getattr(sf, obj).describe()
            )
            have = {f.get("name") for f in described.get("fields", [])}
            missing += [f"{obj}.{name}" for name in sorted(needed - have)]
        if missing:
            raise DestinationRejectedError(
                f"salesforce: missing fields {', '.join(missing)}",
                hint="create them (docs/destinations.md#salesforce) or edit field_map",
            )
        return f"reachable at {sf.sf_instance}; Lead and Task fields present"


def _codes(exc: Any) -> str:
    content = getattr(exc, "content", None)
    if isinstance(content, list):
        return ", ".join(str(e.get("errorCode")) for e in content if isinstance(e, dict))
    return ""


def _messages(exc: Any) -> str:
    content = getattr(exc, "content", None)
    if isinstance(content, list):
        parts = [
            f"{e.get('errorCode')}: {e.get('message')}" for e in content if isinstance(e, dict)
        ]
        return "; ".join(parts)[:500]
    return str(content)[:500]


def _build(settings: SalesforceSettings, context: BuildContext) -> SalesforceDestination:
    return SalesforceDestination(settings)


BACKEND = DestinationBackend(settings=SalesforceSettings, build=_build)
