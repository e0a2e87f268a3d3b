"""Accuracy on real utterances and on utterances written in varied speech styles.

``tests/data/signals-dev-real.jsonl`` holds real utterances from public, permissively licensed
dialog sets and carrier sentences around number and time phrases from public test suites
(sources, licenses and labeling rules: ``tests/data/signals-dev-real.md``).
``data/speech_styles.jsonl`` holds sales-call, support and assistant turns written for this
project. Both are scored by ``signalroom.signals.scoring`` (the spec scorer's rules).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalroom.signals import detect
from signalroom.signals.scoring import read_gold, score

DEV_REAL = Path(__file__).parents[1] / "data" / "signals-dev-real.jsonl"
STYLES = Path(__file__).parent / "data" / "speech_styles.jsonl"
DEV = Path(__file__).parents[1] / "data" / "signals-dev.jsonl"


@pytest.mark.parametrize(("path", "macro", "field"), [(DEV_REAL, 0.92, 0.80), (STYLES, 0.90, 0.80)])
def test_macro_f1_and_every_field(path: Path, macro: float, field: float) -> None:
    report = score(read_gold(path.read_text().splitlines(), str(path)), detect)
    print("\n" + report.table())  # pytest -s shows the table
    assert report.macro_f1 >= macro, report.table()
    low = {name: s.f1 for name, s in report.fields.items() if s.f1 < field}
    assert not low, report.table()


def test_sets_share_no_utterance_with_the_dev_set() -> None:
    dev = {json.loads(line)["text"].strip().lower() for line in DEV.read_text().splitlines()}
    for path in (DEV_REAL, STYLES):
        texts = [json.loads(line)["text"].strip().lower() for line in path.read_text().splitlines()]
        assert len(texts) == len(set(texts)), path
        assert dev.isdisjoint(texts), path


def test_real_set_keeps_its_attribution() -> None:
    rows = [json.loads(line) for line in DEV_REAL.read_text().splitlines()]
    assert len(rows) == 337
    assert all(row.get("source") and row.get("license") for row in rows)
    assert "## Sources" in DEV_REAL.with_suffix(".md").read_text()
