"""``signalroom detect`` through the real CLI app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalroom.cli import app, main
from signalroom.console import CommandFailed

KEYS = ["team_size", "monthly_volume", "integration_needs", "urgency", "industry"]


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_one_object_per_input_line_blank_lines_included(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text(
        "we're a team of 12\n"
        "\n"
        '{"text": "we use hubspot", "expected": {"team_size": 3}, "note": "ignored"}\n'
        "   \n"
        "salesforce stock fell\n"
    )
    result = CliRunner().invoke(app, ["detect", str(source), "--home", str(home)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(r) for r in rows] == [KEYS] * 5  # output line N is input line N
    assert [r["team_size"] for r in rows] == [12, None, None, None, None]
    assert [r["integration_needs"] for r in rows] == [[], [], ["hubspot"], [], []]
    empty: dict[str, object] = {
        "team_size": None,
        "monthly_volume": None,
        "integration_needs": [],
        "urgency": None,
    }
    assert rows[1] == rows[3] == {**empty, "industry": None}


def test_non_utf8_line_is_named(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "latin1.txt"
    source.write_bytes(b"we're a team of 12\n" + "caf\u00e9 owners, 5 of us\n".encode("latin-1"))
    assert _main(["detect", str(source)], monkeypatch) == 2
    out, err = capsys.readouterr()
    assert f"{source} line 2: not UTF-8 text" in err
    assert "hint:" in err
    assert "Traceback" not in err
    assert [json.loads(line)["team_size"] for line in out.splitlines()] == [12]


def test_non_utf8_stdin_is_named(home: Path) -> None:
    result = CliRunner().invoke(app, ["detect"], input=b"ok\n\xff\xfe bad\n")
    assert isinstance(result.exception, CommandFailed)
    assert result.exception.code == 2
    assert "<stdin> line 2: not UTF-8 text" in str(result.exception)
    assert result.exception.hint


def test_byte_order_mark_is_not_text(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "bom.jsonl"
    source.write_bytes(b'\xef\xbb\xbf{"text": "we are 12 people"}\n')
    result = CliRunner().invoke(app, ["detect", str(source)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["team_size"] == 12


def test_stdin_when_file_is_omitted_or_dash(home: Path) -> None:
    runner = CliRunner()
    for args in (["detect"], ["detect", "-"]):
        result = runner.invoke(app, args, input="we need it asap\n")
        assert result.exit_code == 0, result.output
        assert _lines(result.stdout)[0]["urgency"] == "high"


def _main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the installed entry point (with its error handling) in this process."""
    monkeypatch.setattr(sys, "argv", ["signalroom", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0)


def test_malformed_jsonl_names_file_and_line(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text('{"text": "fine"}\n{"text": oops\n')
    assert _main(["detect", str(source)], monkeypatch) == 2
    out, err = capsys.readouterr()
    assert f"{source} line 2: malformed JSON" in err
    assert "hint:" in err
    assert "Traceback" not in err
    assert len(_lines(out)) == 1  # the good line before it was already written


def test_json_line_without_text_is_an_error(home: Path, tmp_path: Path) -> None:
    source = tmp_path / "no-text.jsonl"
    source.write_text('{"utterance": "hi"}\n')
    result = CliRunner().invoke(app, ["detect", str(source)])
    assert isinstance(result.exception, CommandFailed)  # main() prints it and exits with .code
    assert result.exception.code == 2
    assert f"{source} line 1" in str(result.exception)
    assert result.exception.hint


def test_unreadable_file_is_a_one_line_error(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.txt"
    assert _main(["detect", str(missing)], monkeypatch) == 2
    err = capsys.readouterr().err
    assert f"cannot read {missing}" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_entry_point_in_a_fresh_process(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "we are 12 people"}\n')
    done = subprocess.run(
        [sys.executable, "-m", "signalroom", "detect", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _lines(done.stdout)[0]["team_size"] == 12


def test_vocabulary_files_from_the_home_config(home: Path) -> None:
    (home / "extra.toml").write_text('[integrations.zoom]\naliases = ["zoom"]\n')
    (home / "signalroom.toml").write_text('[signals]\nvocabulary_files = ["extra.toml"]\n')
    result = CliRunner().invoke(app, ["detect", "--home", str(home)], input="we live in zoom\n")
    assert result.exit_code == 0, result.output
    assert _lines(result.stdout)[0]["integration_needs"] == ["zoom"]


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["detect", "--help"])
    assert result.exit_code == 0
    assert "Example: signalroom detect" in result.output
