"""Accuracy on the development set, scored by the project's own scorer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from signalroom.signals import detect

DATA = Path(__file__).parents[1] / "data"
GOLD = DATA / "signals-dev.jsonl"
SCORER = DATA / "score_signals.py"
MIN_F1 = 0.97


def test_dev_set_macro_f1(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps(detect(row["text"]).to_dict()) + "\n" for row in lines))
    done = subprocess.run(
        [sys.executable, str(SCORER), str(GOLD), str(pred)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    print("\n" + done.stdout)  # the per-field precision / recall / F1 table (pytest -s)
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    fields = dict(part.split("=") for part in last.split())
    assert int(fields["n"]) == len(lines)
    assert float(fields["macro_f1"]) >= MIN_F1, done.stdout


def test_every_output_has_exactly_the_five_keys_in_order() -> None:
    for line in GOLD.read_text().splitlines():
        out = detect(json.loads(line)["text"]).to_dict()
        assert list(out) == [
            "team_size",
            "monthly_volume",
            "integration_needs",
            "urgency",
            "industry",
        ]
        assert out["integration_needs"] == sorted(out["integration_needs"])
        assert out["team_size"] is None or isinstance(out["team_size"], int)
        assert out["monthly_volume"] is None or isinstance(out["monthly_volume"], float)
