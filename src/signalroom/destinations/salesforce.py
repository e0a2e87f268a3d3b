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
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email

from signalroom.config import SalesforceSettings
from signalroom.destinations.base import AnalyzedSession, Destination
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError

if TYPE_CHECKING:
    import requests

log = logging.getLogger("signalroom.destinations.salesforce")

_RETRYABLE_CODES = {"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}


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


@dataclass(slots=True)
class _SyncState:
    """What signalroom last wrote to a Lead (the JSON in ``sync_field``)."""

    record_id: str | None = None
    revision: int = -1
    start_time: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: object) -> _SyncState:
        if not isinstance(raw, str) or not raw.strip():
            return cls()
        try:
            data = json.loads(raw)
        except ValueError:
            return cls()  # a person edited the field: treat every value as theirs
        if not isinstance(data, dict):
            return cls()
        fields = data.get("fields")
        try:
            revision = int(data.get("revision", -1))
            start = data.get("start_time")
            if start is not None:
                _utc(start)
        except (TypeError, ValueError):
            return cls()
        return cls(
            record_id=data.get("record_id"),
            revision=revision,
            start_time=start,
            fields=fields if isinstance(fields, dict) else {},
        )

    def dump(self) -> str:
        return json.dumps(
            {
                "record_id": self.record_id,
                "revision": self.revision,
                "start_time": self.start_time,
                "fields": self.fields,
            },
            sort_keys=True,
        )


def booking_email(session: AnalyzedSession) -> str | None:
    """The last booking call's email (a successful booking wins over a failed one)."""
    calls = [c for c in session.record.tool_calls if c.customer_email]
    if not calls:
        return None
    succeeded = [c for c in calls if c.success]
    chosen = (succeeded or calls)[-1]
    return chosen.customer_email


def _booking_name(session: AnalyzedSession) -> str | None:
    names = [c.customer_name for c in session.record.tool_calls if c.customer_name]
    return names[-1] if names else None


def signal_values(session: AnalyzedSession) -> dict[str, Any]:
    """Every source ``field_map`` can name, as Lead-ready values (None = not known)."""
    signals = session.record.discovered_signals
    score = session.results.get("lead_score")
    outcome = session.results.get("outcome")
    score_result = score.result if score else {}
    raw_score = score_result.get("score")
    return {
        "team_size": signals.team_size,
        "industry": signals.industry.replace("_", " ").title() if signals.industry else None,
        "monthly_volume": signals.monthly_volume,
        "urgency": signals.urgency,
        "integration_needs": "; ".join(signals.integration_needs) or None,
        "grade": score_result.get("grade"),
        "score": round(float(raw_score), 1) if raw_score is not None else None,
        "qualified": score_result.get("qualified"),
        "outcome": outcome.result.get("outcome") if outcome else None,
    }


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _same(a: object, b: object) -> bool:
    """Salesforce echoes numbers as floats (200 → 200.0) and may trim text."""
    if _empty(a) or _empty(b):
        return _empty(a) and _empty(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return str(a).strip() == str(b).strip()


def plan_lead_update(
    current: dict[str, Any], last: _SyncState, desired: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The overwrite rule: (fields to write, fields signalroom now owns, fields a person owns)."""
    to_write: dict[str, Any] = {}
    owned: dict[str, Any] = {}
    kept: list[str] = []
    for name, value in desired.items():
        have = current.get(name)
        if value is None:
            if name in last.fields and _same(have, last.fields[name]):
                owned[name] = last.fields[name]
            continue
        if _same(have, value):
            owned[name] = value
        elif _empty(have) or (name in last.fields and _same(have, last.fields[name])):
            to_write[name] = value
            owned[name] = value
        else:
            kept.append(name)
    return to_write, owned, kept


def _task_description(session: AnalyzedSession) -> str:
    lines: list[str] = []
    outcome = session.results.get("outcome")
    if outcome and outcome.result.get("summary"):
        lines.append(str(outcome.result["summary"]))
    score = session.results.get("lead_score")
    if score:
        res = score.result
        lines.append(f"Lead score: {res.get('score')} (grade {res.get('grade')})")
        lines.extend(f"- {reason}" for reason in res.get("reasons", [])[:10])
    rec = session.record
    lines.append(f"signalroom record {rec.record_id} revision {rec.revision}")
    return "\n".join(lines)[:32_000]


class SalesforceDestination(Destination):
    """Upserts a Lead (by booking email) and logs the call as a Task (by record_id)."""

    name = "salesforce"
    required = False

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
        last = _SyncState.parse(lead.get(s.sync_field)) if lead else _SyncState()
        if last.record_id == rec.record_id and last.revision > rec.revision:
            return f"revision {rec.revision} is older than synced revision {last.revision}"
        older_call = (
            last.record_id not in (None, rec.record_id)
            and last.start_time is not None
            and _utc(last.start_time) > _utc(rec.start_time)
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
            state = _SyncState(rec.record_id, rec.revision, rec.start_time.isoformat(), owned)
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
        name = (_booking_name(session) or "").strip()
        first, _, last_name = name.rpartition(" ")
        values = {k: v for k, v in desired.items() if v is not None}
        state = _SyncState(rec.record_id, rec.revision, rec.start_time.isoformat(), values)
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
            "Description": _task_description(session),
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


def _utc(value: str | datetime) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when if when.tzinfo else when.replace(tzinfo=UTC)


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
