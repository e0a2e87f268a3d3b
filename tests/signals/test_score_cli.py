"""``signalroom detect --score GOLD.jsonl``: the scorer a team runs on its own transcripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from signalroom.signals import detect
from signalroom.signals.scoring import GoldError, read_gold, score

DATA = Path(__file__).parents[1] / "data"
FIELDS = ["team_size", "monthly_volume", "integration_needs", "urgency", "industry"]
EMPTY: dict[str, object] = {
    "team_size": None,
    "monthly_volume": None,
    "integration_needs": [],
    "urgency": None,
    "industry": None,
}


def _gold(path: Path, rows: list[tuple[str, dict[str, object]]]) -> Path:
    path.write_text(
        "".join(json.dumps({"text": t, "expected": {**EMPTY, **e}}) + "\n" for t, e in rows)
    )
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signalroom", "detect", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_score_json_in_a_fresh_process(tmp_path: Path) -> None:
    gold = _gold(
        tmp_path / "gold.jsonl",
        [
            ("we're a team of 12", {"team_size": 12}),  # hit
            ("we use hubspot", {"integration_needs": ["hubspot"], "urgency": "high"}),  # miss
            ("salesforce stock fell", {}),  # hard negative
        ],
    )
    done = _run("--score", str(gold), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 3
    assert list(report["fields"]) == FIELDS
    assert report["fields"]["team_size"] == {
        "tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0,
    }  # fmt: skip
    assert report["fields"]["urgency"]["fn"] == 1
    assert report["exact_match"] == round(2 / 3, 4)
    (miss,) = report["misses"]
    assert miss == {
        "line": 2,
        "text": "we use hubspot",
        "fields": ["urgency"],
        "expected": {"urgency": "high"},
        "got": {"urgency": None},
    }
    # macro F1: four fields at 1.0 and urgency at 0 (no true positive)
    assert report["macro_f1"] == 0.8


@pytest.mark.slow
def test_score_table_and_min_f1(tmp_path: Path) -> None:
    gold = _gold(
        tmp_path / "gold.jsonl",
        [("we use hubspot", {"integration_needs": ["hubspot"], "urgency": "high"})],
    )
    done = _run("--score", str(gold), "--min-f1", "0.9")
    assert done.returncode == 1
    assert "macro_f1=0.800 exact=0.000 n=1" in done.stdout
    assert "line 1: we use hubspot" in done.stdout
    assert "below --min-f1" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_bad_gold_line_is_one_line_error(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "ok", "expected": {"team_size": 1}}\n')
    done = _run("--score", str(gold))
    assert done.returncode == 2
    assert f"{gold} line 1" in done.stderr and "exactly the keys" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_read_gold_names_the_line() -> None:
    good = json.dumps({"text": "x", "expected": EMPTY})
    with pytest.raises(GoldError, match=r"g\.jsonl line 3: malformed JSON"):
        read_gold([good, "", "{nope"], "g.jsonl")
    with pytest.raises(GoldError, match="team_size must be a number"):
        read_gold([json.dumps({"text": "x", "expected": {**EMPTY, "team_size": "12"}})], "g")


def test_scores_match_the_reference_scorer_on_the_real_speech_set(tmp_path: Path) -> None:
    """The built-in scorer and the spec's stand-alone scorer agree to the digit."""
    gold = DATA / "signals-dev-real.jsonl"
    rows = read_gold(gold.read_text().splitlines(), str(gold))
    report = score(rows, detect)
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(detect(r.text).to_dict()) + "\n" for r in rows))
    done = subprocess.run(
        [sys.executable, str(DATA / "score_signals.py"), str(gold), str(pred)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == report.table().splitlines()[-1]
