"""Vocabulary files: bundled data, extension by config, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from signalroom.errors import ConfigError
from signalroom.signals import Detector, load_vocabulary
from signalroom.signals.phrases import expand

SPEC_INTEGRATIONS = {
    "salesforce", "hubspot", "pipedrive", "zoho", "dynamics", "slack", "teams", "google_drive",
    "dropbox", "box", "onedrive", "sharepoint", "gmail", "outlook", "docusign", "zapier", "api",
    "webhook", "sso", "quickbooks", "netsuite", "sap", "workday", "zendesk", "jira", "notion",
    "confluence", "clio", "netdocuments", "imanage",
}  # fmt: skip


def test_bundled_vocabulary_covers_the_spec() -> None:
    vocab = load_vocabulary()
    assert set(vocab.section("integrations")) == SPEC_INTEGRATIONS
    assert len(vocab.section("industries")) == 16
    assert all(s.startswith("bundled:") for s in vocab.sources)


def test_aliases_map_to_canonical_names() -> None:
    detector = Detector()
    assert detector.detect("we're on sfdc").integration_needs == ["salesforce"]
    assert detector.detect("it's all in google docs").integration_needs == ["google_drive"]
    assert detector.detect("we chat on ms teams").integration_needs == ["teams"]
    assert detector.canonical_integration("Google Drive") == "google_drive"
    assert detector.canonical_integration("zoom") is None


def test_extension_file_adds_aliases_cues_and_phrases(tmp_path: Path) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(
        "[integrations.salesforce]\n"
        'aliases = ["the big cloud crm"]\n'
        "[industries.energy]\n"
        'cues = ["geothermal driller"]\n'
        "[urgency]\n"
        'high = ["on fire"]\n'
    )
    detector = Detector(load_vocabulary([extra]))
    signals = detector.detect("we're a geothermal driller, we use the big cloud crm, we're on fire")
    assert signals.integration_needs == ["salesforce"]
    assert signals.industry == "energy"
    assert signals.urgency == "high"
    # the bundled vocabulary is still there
    assert detector.detect("we use hubspot").integration_needs == ["hubspot"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not toml = = =", "not valid TOML"),
        ("[weather]\nsunny = []\n", "unknown section"),
        ('[industries.aerospace]\ncues = ["rockets"]\n', "not one of the 16 labels"),
        ('[integrations."Zoom Video"]\naliases = ["zoom"]\n', "lowercase"),
        ("[urgency]\nhigh = [1, 2]\n", "list of strings"),
    ],
)
def test_bad_extension_files_are_refused_with_the_file_name(
    tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        load_vocabulary([bad])
    assert str(bad) in str(info.value)


def test_missing_extension_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read vocabulary file"):
        load_vocabulary([tmp_path / "nope.toml"])


def test_phrase_syntax_expands_alternatives_and_options() -> None:
    assert expand("(by|before) [the] end") == [
        ("by", "the", "end"),
        ("by", "end"),
        ("before", "the", "end"),
        ("before", "end"),
    ]
    assert expand("e-commerce") == [("e", "commerce")]
