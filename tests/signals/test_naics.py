"""The NAICS-derived industry vocabulary: the generator's rules, and the shipped data file."""

from __future__ import annotations

import random
import tomllib
from importlib import resources
from pathlib import Path

from signalroom.signals import detect
from signalroom.signals.model import INDUSTRIES
from signalroom.signals.naics import build, head_words, label_of, main, singular

ROWS = [
    ("541110", "Law firms"),
    ("541110", "Family law offices"),
    ("541110", "Criminal law offices"),  # a second entry with the tail "law offices"
    ("541110", "Attorneys' offices"),
    ("621210", "Dentists' offices (e.g., centers, clinics)"),
    ("484110", "Trucking, general freight, local"),
    ("484121", "General freight trucking, long-distance, truckload (TL)"),
    ("337110", "Kitchen cabinets manufacturing"),
    ("446199", "Hearing aid stores"),  # sector 44: retail
    ("111110", "Soybean farming, field and seed production"),  # no label
    ("524210", "Insurance agencies"),
]


def test_codes_map_by_longest_prefix() -> None:
    assert label_of("541110") == "legal"
    assert label_of("541211") == "finance"  # accounting is finance, not legal
    assert label_of("524210") == "insurance"  # 524 beats 52
    assert label_of("522110") == "finance"
    assert label_of("111110") is None
    assert all(label_of(code) in (*INDUSTRIES, None) for code in ("23", "62", "92", "51"))


def test_head_phrase_is_the_first_part_without_parentheses() -> None:
    assert head_words("Trucking, general freight, local") == ["trucking"]
    assert head_words("Dentists' offices (e.g., centers, clinics)") == ["dentists'", "offices"]
    assert singular("pharmacies") == "pharmacy" and singular("offices") == "office"


def test_build_gives_spoken_forms_per_label() -> None:
    table = build(ROWS)
    legal = set(table["legal"]["org"])
    assert {
        "law firm",
        "law firms",
        "law office",
        "family law office",
        "attorney's office",
    } <= legal
    assert "office" not in legal and "offices" not in legal  # a generic noun never alone
    assert "general freight trucking" in table["logistics"]["cues"]
    assert "kitchen cabinet manufacturer" in table["manufacturing"]["org"]
    retail = set(table["retail"]["org"])
    assert "hearing aid store" in retail and "aid store" not in retail  # one entry's tail
    assert not any("soybean" in p for entry in table.values() for k in entry for p in entry[k])


def test_main_writes_the_data_file_format(tmp_path: Path, capsys: object) -> None:
    source = tmp_path / "index.csv"
    source.write_text("NAICS22,INDEX ITEM DESCRIPTION\n" + "".join(f'{c},"{d}"\n' for c, d in ROWS))
    out = tmp_path / "out.toml"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main([str(source)]) == 0
    out.write_text(buffer.getvalue())
    data = tomllib.loads(out.read_text())
    assert set(data["industry_taxonomy"]) <= set(INDUSTRIES)
    assert "law firm" in data["industry_taxonomy"]["legal"]["org"]


def test_the_shipped_vocabulary_covers_thousands_of_business_nouns() -> None:
    text = resources.files("signalroom.signals").joinpath("data/naics.toml").read_text()
    data = tomllib.loads(text)["industry_taxonomy"]
    assert set(data) <= set(INDUSTRIES)
    assert sum(len(e["org"]) + len(e["cues"]) for e in data.values()) > 10_000
    assert "NAICS 2022" in text.splitlines()[0] and "public domain" in text


def test_a_sample_of_taxonomy_nouns_describes_the_speaker() -> None:
    """Property over the data file: "we're a <noun>" gives the noun's label for nearly every
    establishment noun (the hand-written vocabulary may claim a few for another label)."""
    text = resources.files("signalroom.signals").joinpath("data/naics.toml").read_text()
    data = tomllib.loads(text)["industry_taxonomy"]
    rng = random.Random(13)
    total = agree = 0
    for label, entry in data.items():
        for noun in rng.sample(entry["org"], min(25, len(entry["org"]))):
            total += 1
            agree += detect(f"we're a small {noun}").industry == label
    assert total > 300
    assert agree / total >= 0.9, agree / total
