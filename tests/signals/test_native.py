"""The compiled detector (mypyc, built by hatch_build.py) and its sources: the same signals,
and a stale or missing build never runs in place of the source."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from signalroom.signals import native

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "src" / "signalroom" / "signals"
DATA = [
    ROOT / "tests" / "data" / "signals-dev.jsonl",
    ROOT / "tests" / "data" / "signals-dev-real.jsonl",
    *sorted((Path(__file__).parent / "data").glob("*.jsonl")),
]

# Every text, upper-cased and doubled too; the signals and their evidence, one JSON line each.
_RUN = """
import json, sys
from signalroom.signals import detect_with_evidence, native
print(native.describe())
for path in sys.argv[1:]:
    for row in open(path, encoding="utf-8"):
        if not row.strip():
            continue
        text = json.loads(row)["text"]
        for variant in (text, text.upper(), text + " " + text):
            signals, evidence = detect_with_evidence(variant)
            print(json.dumps([signals.to_dict(), [repr(e) for e in evidence]], sort_keys=True))
"""


def _run(tmp_path: Path, **env: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *map(str, DATA)],
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    return done.stdout.splitlines()


def _built_compiled() -> bool:
    try:
        return bool(json.loads((PACKAGE / "_native.json").read_text())["compiled"])
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_the_compiled_and_the_source_detector_give_the_same_signals(tmp_path: Path) -> None:
    default = _run(tmp_path)
    source = _run(tmp_path, **{native.PURE_ENV: "1"})
    assert source[0].startswith("pure Python")
    if _built_compiled():
        assert default[0] == "compiled (mypyc)"
    assert len(default) == len(source) > 3000
    differing = [(a, b) for a, b in zip(default[1:], source[1:], strict=True) if a != b]
    assert differing == []


def test_the_build_compiled_the_detector_where_a_c_compiler_exists() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the build installs the detector as pure Python")
    info = json.loads((PACKAGE / "_native.json").read_text())
    assert info["compiled"], info["why"]
    assert native.decide().compiled
    assert native.running_compiled()


def test_the_build_and_the_runtime_name_the_same_modules() -> None:
    tree = ast.parse((ROOT / "hatch_build.py").read_text())
    built = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets)
    )
    assert tuple(built) == native.COMPILED


def _folder(tmp_path: Path, info: dict[str, object] | None) -> Path:
    folder = tmp_path / "signals"
    folder.mkdir()
    for name in native.COMPILED:
        shutil.copy(PACKAGE / f"{name}.py", folder / f"{name}.py")
    if info is not None:
        (folder / "_native.json").write_text(json.dumps(info))
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / f"{name}.py").read_bytes()).hexdigest()
        for name in native.COMPILED
    }


def test_a_build_whose_sources_match_runs_compiled(tmp_path: Path) -> None:
    folder = _folder(tmp_path, None)
    (folder / "_native.json").write_text(json.dumps({"compiled": True, "sources": _hashes(folder)}))
    assert native.decide(folder, environ={}) == native.Choice(True)


def test_a_source_edited_after_the_build_runs_as_source_with_a_warning(tmp_path: Path) -> None:
    folder = _folder(tmp_path, None)
    (folder / "_native.json").write_text(json.dumps({"compiled": True, "sources": _hashes(folder)}))
    with (folder / "rules.py").open("a") as handle:
        handle.write("\n# edited\n")
    choice = native.decide(folder, environ={})
    assert not choice.compiled
    assert choice.stale
    assert "rules.py changed" in choice.reason
    assert "uv sync" in choice.reason


def test_the_environment_can_ask_for_the_sources(tmp_path: Path) -> None:
    folder = _folder(tmp_path, None)
    (folder / "_native.json").write_text(json.dumps({"compiled": True, "sources": _hashes(folder)}))
    choice = native.decide(folder, environ={native.PURE_ENV: "1"})
    assert (choice.compiled, choice.stale) == (False, False)
    assert native.decide(folder, environ={native.PURE_ENV: "0"}).compiled


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (None, "built without compiling"),
        ({"compiled": False, "why": "cc: not found"}, "cc: not found"),
    ],
)
def test_without_a_compiled_build_the_sources_run(
    tmp_path: Path, info: dict[str, object] | None, reason: str
) -> None:
    choice = native.decide(_folder(tmp_path, info), environ={})
    assert (choice.compiled, choice.stale) == (False, False)
    assert reason in choice.reason


def test_an_unreadable_build_record_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path, None)
    (folder / "_native.json").write_text("{not json")
    choice = native.decide(folder, environ={})
    assert not choice.compiled
    assert "_native.json is unreadable" in choice.reason


def test_signals_and_evidence_survive_pickling() -> None:
    """Compiled frozen classes cannot be restored field by field; they rebuild by __init__."""
    import pickle

    from signalroom.signals import detect_with_evidence

    signals, evidence = detect_with_evidence("a team of 12 in hubspot, 300 tickets a week, asap")
    assert evidence
    assert pickle.loads(pickle.dumps((signals, evidence))) == (signals, evidence)


def test_doctor_says_which_detector_runs(tmp_path: Path) -> None:
    def doctor(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "signalroom", "doctor", "--home", str(tmp_path)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in done.stderr
        line = next(x for x in done.stdout.splitlines() if " signals " in f" {x} ")
        return " ".join(line.split())

    assert "detector pure Python (SIGNALROOM_PURE_PYTHON is set)" in doctor(
        **{native.PURE_ENV: "1"}
    )
    if _built_compiled():
        assert "ok signals detector compiled (mypyc)" in doctor()
