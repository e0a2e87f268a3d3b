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
        (
            '[integrations.zoom]\naliasez = ["zoom"]\n',
            r"unknown key 'aliasez' in \[integrations\.zoom\]",
        ),
        (
            '[industries.energy]\nrole = ["drillers"]\n',
            r"unknown key 'role' in \[industries\.energy\]",
        ),
        ('[team.block]\nafterr = ["x"]\n', r"unknown key 'afterr' in \[team\.block\]"),
        (
            '[urgency.timeframes]\nsooon = ["x"]\n',
            r"unknown key 'sooon' in \[urgency\.timeframes\]",
        ),
        ('[numbers]\nfilers = ["um"]\n', r"unknown key 'filers' in \[numbers\]"),
        ('[volume]\nrate_words = ["a"]\n', r"\[volume\.rate_words\] must be a table"),
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


def test_unknown_key_error_lists_the_known_keys(tmp_path: Path) -> None:
    bad = tmp_path / "typo.toml"
    bad.write_text('[integrations.zoom]\naliasez = ["zoom"]\n')
    with pytest.raises(ConfigError) as info:
        load_vocabulary([bad])
    assert info.value.hint is not None
    assert "aliases" in info.value.hint and "ambiguous" in info.value.hint


def test_free_tables_take_new_phrases(tmp_path: Path) -> None:
    extra = tmp_path / "periods.toml"
    extra.write_text('[volume.periods]\nshift = 60.0\n[team]\nstrong_left_cues = ["squad of"]\n')
    detector = Detector(load_vocabulary([extra]))
    assert detector.detect("we scan 100 pages a shift").monthly_volume == 6000.0
    assert detector.detect("a squad of 7 using slack").team_size == 7
