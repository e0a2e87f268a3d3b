"""The HubSpot destination against a local stand-in portal that checks HubSpot's request shapes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from signalroom.config import load_settings
from signalroom.destinations import AnalyzedSession, Destination, build_destinations
from signalroom.destinations.hubspot import HubSpotSettings
from signalroom.errors import ConfigError, DestinationRejectedError
from signalroom.privacy.subject import Subject
from tests.destinations.contract import DestinationContract, session
from tests.destinations.hubspot_portal import TOKEN, HubSpotPortal

PROPERTIES = {*HubSpotSettings().property_map.values(), HubSpotSettings().sync_property}


def _revision(note: dict[str, str], record_id: str) -> int | None:
    found = re.search(rf"record {re.escape(record_id)} revision (\d+)", note["hs_note_body"])
    return int(found[1]) if found else None


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotPortal]:
    server = HubSpotPortal(PROPERTIES)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    yield server
    server.close()


def hubspot(url: str, **settings: object) -> Destination:
    """Built the way the service builds it: by name, through the registry."""
    (built,) = build_destinations({"hubspot": HubSpotSettings(url=url, **settings)})  # type: ignore[arg-type]
    return built


class TestHubSpotContract(DestinationContract):
    @pytest.fixture(autouse=True)
    def _portal(self, portal: HubSpotPortal) -> None:
        self.portal = portal

    async def make_destination(self) -> Destination:
        return hubspot(self.portal.url, timeout_s=5)

    async def make_broken(self) -> Destination:
        return hubspot("http://127.0.0.1:9", timeout_s=2)

    async def held(self, destination: Destination, item: AnalyzedSession) -> int | None:
        email = next(c.customer_email for c in item.record.tool_calls if c.customer_email)
        found = [_revision(n, item.record_id) for n in self.portal.notes_of(email.lower())]
        revisions = [r for r in found if r is not None]
        assert len(revisions) <= 1, "two notes for one call"
        return revisions[0] if revisions else None

    async def items(self, destination: Destination) -> int:
        return len(self.portal.contacts) + len(self.portal.notes)


async def test_configured_from_the_file_with_the_token_from_the_environment(
    portal: HubSpotPortal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "signalroom.toml").write_text(f'[destinations.hubspot]\nurl = "{portal.url}"\n')
    configured = load_settings(tmp_path).destinations.configured()
    (dest,) = build_destinations(configured)
    assert "token accepted" in await dest.check()
    await dest.close()
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    with pytest.raises(ConfigError, match=r"\$HUBSPOT_ACCESS_TOKEN"):
        build_destinations(configured)


async def test_a_value_a_person_typed_is_never_overwritten(portal: HubSpotPortal) -> None:
    dest = hubspot(portal.url)
    email = "sam@acme.com"
    first = session(email, discovered_signals={"team_size": 12, "urgency": "high"})
    await dest.write([first])
    contact = portal.contact_by_email(email)
    assert contact is not None and contact["signalroom_team_size"] == "12"
    portal.edit(email, "signalroom_team_size", "40")  # the rep corrected it by hand
    later = session(email, discovered_signals={"team_size": 15, "urgency": "low"})
    later.record.start_time = first.record.start_time.replace(year=2026)
    await dest.write([later])
    assert contact["signalroom_team_size"] == "40"
    assert contact["signalroom_urgency"] == "low"  # still signalroom's own value: updated
    assert len(portal.notes_of(email)) == 2
    await dest.close()


async def test_refused_token_and_missing_property_are_clear(portal: HubSpotPortal) -> None:
    wrong = HubSpotPortal(PROPERTIES, token="pat-other")
    dest = hubspot(wrong.url)
    with pytest.raises(DestinationRejectedError, match=r"HTTP 401.*token"):
        await dest.write([session("a@acme.com")])
    await dest.close()
    wrong.close()
    bare = HubSpotPortal(set(HubSpotSettings().property_map.values()))
    dest = hubspot(bare.url)
    with pytest.raises(DestinationRejectedError, match="signalroom_last_sync"):
        await dest.check()
    await dest.close()
    bare.close()


async def test_busy_portal_is_retryable_and_calls_without_email_are_skipped(
    portal: HubSpotPortal,
) -> None:
    dest = hubspot(portal.url)
    portal.statuses = [429]
    with pytest.raises(Exception) as info:
        await dest.write([session("b@acme.com")])
    assert getattr(info.value, "retryable", False) is True
    await dest.write([session(None)])  # type: ignore[arg-type]
    assert portal.contacts == {}
    await dest.close()


async def test_erasing_an_unknown_address_never_blocklists_it(portal: HubSpotPortal) -> None:
    dest = hubspot(portal.url)
    subject = Subject.for_email("nobody@acme.com", None)
    assert await dest.erase(subject) == {"contacts": 0, "notes": 0}
    assert portal.blocklist == set()
    await dest.close()


def test_forget_erases_the_person_in_hubspot_and_reports_a_failed_place(
    portal: HubSpotPortal, tmp_path: Path
) -> None:
    import asyncio
    import json

    from typer.testing import CliRunner

    from signalroom.cli import app

    home = tmp_path / "home"
    home.mkdir()
    (home / "signalroom.toml").write_text(f'[destinations.hubspot]\nurl = "{portal.url}"\n')
    dest = hubspot(portal.url)
    asyncio.run(dest.write([session("ann@acme.com"), session("xann@acme.com")]))
    asyncio.run(dest.close())

    def forget(*args: str) -> tuple[int, dict[str, object]]:
        result = CliRunner().invoke(app, ["forget", "--home", str(home), "--json", *args])
        return result.exit_code, json.loads(result.stdout)

    code, dry = forget("--email", "ann@acme.com", "--dry-run")
    assert code == 0 and dry["found"]["hubspot"] == {"contacts": 1, "notes": 1}  # type: ignore[index]
    code, done = forget("--email", "ann@acme.com")
    assert code == 0 and done["removed"]["hubspot"] == {"contacts": 1, "notes": 1}  # type: ignore[index]
    assert portal.contact_by_email("ann@acme.com") is None
    assert portal.contact_by_email("xann@acme.com") is not None

    (home / "signalroom.toml").write_text('[destinations.hubspot]\nurl = "http://127.0.0.1:9"\n')
    code, down = forget("--email", "xann@acme.com")
    assert code == 1 and "hubspot" in down["failed"]  # type: ignore[operator]
    assert "warehouse" in down["removed"]  # type: ignore[operator]  # the others still ran
