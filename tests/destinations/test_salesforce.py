"""SalesforceDestination against a local HTTPS stand-in of the REST API."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from signalroom.destinations.base import AnalyzedSession, AnalyzerResult, Destination
from signalroom.destinations.salesforce import SalesforceDestination, SalesforceSettings
from signalroom.errors import ConfigError, DestinationError, DestinationRejectedError
from signalroom.record import SessionRecord
from tests.destinations.contract import DestinationContract
from tests.destinations.salesforce_org import FakeSalesforceOrg

EMAIL = "john@acme.com"


@pytest.fixture
def org(tmp_path: Path) -> Iterator[FakeSalesforceOrg]:
    server = FakeSalesforceOrg(tmp_path)
    yield server
    server.close()


def settings_for(org: FakeSalesforceOrg, **overrides: Any) -> SalesforceSettings:
    values: dict[str, Any] = {
        "instance_url": org.instance_url,
        "session_id": org.token,
        "ca_bundle": org.ca_path,
        "timeout_s": 5,
    }
    values.update(overrides)
    return SalesforceSettings(**values)


def analyzed(
    seed: dict[str, Any],
    *,
    revision: int = 0,
    email: str | None = EMAIL,
    signals: dict[str, Any] | None = None,
    start: str | None = None,
    session_id: str | None = None,
    grade: str = "A",
    score: float = 87.456,
) -> AnalyzedSession:
    data = json.loads(json.dumps(seed))
    data["revision"] = revision
    if start:
        data["start_time"] = start
    if session_id:
        data["session_id"] = session_id
    if signals:
        data["discovered_signals"].update(signals)
    for call in data["tool_calls"]:
        if "customer_email" in call:
            if email is None:
                del call["customer_email"]
            else:
                call["customer_email"] = email
    record = SessionRecord.model_validate(data)
    results = {
        "lead_score": AnalyzerResult(
            "lead_score",
            "1",
            {
                "score": score,
                "grade": grade,
                "qualified": True,
                "reasons": ["+15 fit: legal industry"],
            },
        ),
        "outcome": AnalyzerResult(
            "outcome", "1", {"outcome": "booked", "summary": "Booked a demo for the legal team."}
        ),
    }
    return AnalyzedSession(record=record, results=results)


def only_lead(org: FakeSalesforceOrg) -> dict[str, Any]:
    assert len(org.leads) == 1
    return next(iter(org.leads.values()))


async def test_new_lead_and_task_with_mapped_fields(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    session = analyzed(seed_record_dict)
    await dest.write([session])

    lead = only_lead(org)
    assert lead["Email"] == EMAIL
    assert (lead["FirstName"], lead["LastName"]) == ("John", "Smith")
    assert lead["Company"] == "[not provided]"
    assert lead["NumberOfEmployees"] == 8
    assert lead["Industry"] == "Legal"
    assert lead["Signalroom_Volume__c"] == 200.0
    assert lead["Signalroom_Urgency__c"] == "high"
    assert lead["Signalroom_Integrations__c"] == "salesforce; api"
    assert lead["Signalroom_Grade__c"] == "A"
    assert lead["Signalroom_Score__c"] == 87.5
    assert lead["Signalroom_Outcome__c"] == "booked"
    sync = json.loads(lead["Signalroom_Last_Sync__c"])
    assert sync["record_id"] == session.record_id
    assert sync["fields"]["NumberOfEmployees"] == 8

    (task,) = org.tasks.values()
    assert task["WhoId"] == lead["Id"]
    assert task["Subject"] == "Sales call room_abc123"
    assert task["Signalroom_Record_Id__c"] == session.record_id
    assert "Booked a demo for the legal team." in task["Description"]
    assert task["Status"] == "Completed"
    assert task["CallDurationInSeconds"] == 330
    assert task["ActivityDate"] == "2025-01-28"
    assert dest.last_skipped == {}


async def test_redelivery_changes_nothing(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    session = analyzed(seed_record_dict)
    await dest.write([session])
    lead_before = dict(only_lead(org))
    org.requests.clear()

    await dest.write([session])
    await dest.write([session])

    assert only_lead(org) == lead_before
    assert len(org.tasks) == 1
    methods = [(m, p.split("?")[0].rsplit("/", 2)[-2]) for m, p in org.requests]
    assert ("PATCH", "Lead") not in methods, org.requests
    assert not any(m == "POST" for m, _ in org.requests)


async def test_person_edited_field_is_never_overwritten(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    await dest.write([analyzed(seed_record_dict, revision=1)])
    lead = only_lead(org)
    lead["Industry"] = "Financial Services"  # a sales rep corrects it in the UI

    newer = analyzed(seed_record_dict, revision=2, signals={"team_size": 12, "industry": "finance"})
    await dest.write([newer])
    lead = only_lead(org)
    assert lead["NumberOfEmployees"] == 12  # still signalroom's: updated
    assert lead["Industry"] == "Financial Services"  # the person's: kept
    sync = json.loads(lead["Signalroom_Last_Sync__c"])
    assert "Industry" not in sync["fields"]
    assert sync["revision"] == 2

    # A later call with yet another industry still leaves the person's value alone.
    later = analyzed(
        seed_record_dict,
        session_id="room_later",
        start="2025-02-01T09:00:00",
        signals={"industry": "insurance"},
    )
    await dest.write([later])
    assert only_lead(org)["Industry"] == "Financial Services"
    assert len(org.tasks) == 2


async def test_existing_lead_typed_by_a_person_only_gets_empty_fields(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    lead_id = org.add_lead(
        Email="John@Acme.com", LastName="Smith", Company="Acme LLP", NumberOfEmployees=50
    )
    dest = SalesforceDestination(settings_for(org))
    await dest.write([analyzed(seed_record_dict)])

    lead = org.leads[lead_id]
    assert len(org.leads) == 1
    assert lead["NumberOfEmployees"] == 50
    assert lead["Company"] == "Acme LLP"
    assert lead["Industry"] == "Legal"
    assert lead["Signalroom_Grade__c"] == "A"
    (task,) = org.tasks.values()
    assert task["WhoId"] == lead_id


async def test_call_without_email_is_skipped_with_reason(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    session = analyzed(seed_record_dict, email=None)
    await dest.write([session])
    assert dest.last_skipped == {session.record_id: "no booking email in this call"}
    assert org.leads == {} and org.tasks == {}

    hashed = analyzed(seed_record_dict, email="h:0123456789abcdef")
    await dest.write([hashed])
    assert "not an address" in dest.last_skipped[hashed.record_id]
    assert org.leads == {}


async def test_late_older_revision_changes_nothing(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    final = analyzed(seed_record_dict, revision=5, signals={"team_size": 20})
    await dest.write([final])
    snapshot = (dict(only_lead(org)), {k: dict(v) for k, v in org.tasks.items()})

    checkpoint = analyzed(seed_record_dict, revision=2, signals={"team_size": 3})
    await dest.write([checkpoint])
    assert (dict(only_lead(org)), {k: dict(v) for k, v in org.tasks.items()}) == snapshot
    assert "older" in dest.last_skipped[checkpoint.record_id]


async def test_email_with_quote_is_escaped_in_soql(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    tricky = "o'brien@acme.com"
    lead_id = org.add_lead(Email=tricky, LastName="O'Brien", Company="Acme")
    dest = SalesforceDestination(settings_for(org))
    await dest.write([analyzed(seed_record_dict, email=tricky)])
    assert len(org.leads) == 1
    assert org.leads[lead_id]["Industry"] == "Legal"


async def test_wrong_session_is_rejected_with_hint(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org, session_id="wrong"))
    with pytest.raises(DestinationRejectedError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert "INVALID_SESSION_ID" in str(info.value)
    assert info.value.retryable is False
    assert info.value.hint and "session_id" in info.value.hint
    assert "wrong" not in str(info.value)


async def test_server_error_is_retryable_then_succeeds(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    org.fail_next = [503]
    with pytest.raises(DestinationError) as info:
        await dest.write([analyzed(seed_record_dict)])
    assert info.value.retryable is True
    assert not isinstance(info.value, DestinationRejectedError)
    await dest.write([analyzed(seed_record_dict)])
    assert len(org.leads) == 1 and len(org.tasks) == 1


async def test_unreachable_instance_is_retryable(seed_record_dict: dict[str, Any]) -> None:
    settings = SalesforceSettings(
        instance_url="https://127.0.0.1:9", session_id=SecretStr("x"), timeout_s=1
    )
    dest = SalesforceDestination(settings)
    with pytest.raises(DestinationError) as info:
        await dest.check()
    assert info.value.retryable is True
    with pytest.raises(DestinationError) as write_info:
        await dest.write([analyzed(seed_record_dict)])
    assert "ConnectionError talking to https://127.0.0.1:9" in str(write_info.value)
    assert EMAIL not in str(write_info.value)


async def test_check_reports_missing_custom_fields(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    dest = SalesforceDestination(settings_for(org))
    assert "fields present" in await dest.check()

    del org.fields["Lead"]["Signalroom_Grade__c"]
    del org.fields["Task"]["Signalroom_Record_Id__c"]
    with pytest.raises(DestinationRejectedError) as info:
        await dest.check()
    assert "Lead.Signalroom_Grade__c" in str(info.value)
    assert "Task.Signalroom_Record_Id__c" in str(info.value)

    with pytest.raises(DestinationRejectedError) as write_info:
        await dest.write([analyzed(seed_record_dict)])
    assert "INVALID_FIELD" in str(write_info.value)
    assert write_info.value.hint and "field_map" in write_info.value.hint


async def test_custom_field_map(org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]) -> None:
    org.fields["Lead"]["Rating"] = "picklist"
    dest = SalesforceDestination(settings_for(org, field_map={"grade": "Rating"}))
    await dest.write([analyzed(seed_record_dict, grade="B")])
    lead = only_lead(org)
    assert lead["Rating"] == "B"
    assert lead["NumberOfEmployees"] is None  # not in the map: not synced


def test_settings_validation() -> None:
    with pytest.raises(ValidationError, match="instance_url"):
        SalesforceSettings(username="u")
    with pytest.raises(ValidationError, match="unknown field_map keys"):
        SalesforceSettings(
            instance_url="https://x", session_id=SecretStr("s"), field_map={"teamsize": "X"}
        )
    with pytest.raises(ValidationError):
        SalesforceSettings(
            instance_url="https://x", session_id=SecretStr("s"), field_map={"grade": "Bad Name"}
        )
    settings = SalesforceSettings(instance_url="https://x", session_id=SecretStr("secret-token"))
    assert "secret-token" not in repr(settings)


def test_missing_sdk_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simple_salesforce", None)
    with pytest.raises(ConfigError) as info:
        SalesforceDestination(SalesforceSettings(instance_url="https://x", session_id="s"))
    assert info.value.hint and "signalroom[salesforce]" in info.value.hint


async def test_garbled_sync_field_counts_as_person_owned(
    org: FakeSalesforceOrg, seed_record_dict: dict[str, Any]
) -> None:
    lead_id = org.add_lead(
        Email=EMAIL,
        LastName="Smith",
        Company="Acme",
        Industry="Banking",
        Signalroom_Last_Sync__c='{"revision": "x", "fields": {"Industry": "Banking"}}',
    )
    dest = SalesforceDestination(settings_for(org))
    await dest.write([analyzed(seed_record_dict)])
    assert org.leads[lead_id]["Industry"] == "Banking"
    assert org.leads[lead_id]["NumberOfEmployees"] == 8


class TestSalesforceContract(DestinationContract):
    """The destination contract; Salesforce keeps its own copy, so erasure is refused."""

    erasable = False

    @pytest.fixture(autouse=True)
    def _org(self, org: FakeSalesforceOrg) -> None:
        self.org = org

    async def make_destination(self) -> Destination:
        return SalesforceDestination(settings_for(self.org))

    async def make_broken(self) -> Destination:
        return SalesforceDestination(settings_for(self.org, instance_url="https://127.0.0.1:9"))

    async def held(self, destination: Destination, item: AnalyzedSession) -> int | None:
        tasks = [
            t for t in self.org.tasks.values() if t.get("Signalroom_Record_Id__c") == item.record_id
        ]
        assert len(tasks) <= 1, "two tasks for one call"
        found = re.search(r"revision (\d+)", tasks[0]["Description"]) if tasks else None
        return int(found[1]) if found else None

    async def items(self, destination: Destination) -> int:
        return len(self.org.leads) + len(self.org.tasks)
