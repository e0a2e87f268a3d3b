"""``signalroom detect [FILE]``: the five signals of each input line, as JSON lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from signalroom.cli_common import HomeOption, only_defaults
from signalroom.console import fail

if TYPE_CHECKING:
    from signalroom.signals.detector import Detector

FileArgument = Annotated[
    str | None,
    typer.Argument(
        help='Input file: one utterance per line, plain text or JSONL {"text": ...}. '
        "Omit it or give '-' to read stdin.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    app.command(
        "detect",
        help="Detect the five qualification signals in each line of text.\n\n"
        "Each line is plain text, or JSONL when it starts with '{' (its \"text\" is used, "
        "other keys are ignored). Prints one JSON object per input line, in input order, with "
        "team_size, monthly_volume, integration_needs, urgency and industry; a blank line gives "
        "the object with every signal empty. Input must be UTF-8. Extra vocabulary files come "
        "from signals.vocabulary_files in the home's signalroom.toml.\n\n"
        "With --score GOLD.jsonl it scores the detector on labeled utterances instead "
        '(lines {"text": ..., "expected": {the five keys}}): per-field precision, recall and '
        "F1, macro F1, exact match and every miss (text, expected, got).\n\n"
        "Example: signalroom detect calls.jsonl > signals.jsonl\n\n"
        "Example: signalroom detect --score labeled.jsonl --json",
    )(detect_command)


ScoreOption = Annotated[
    Path | None,
    typer.Option(
        "--score",
        help="Score against this labeled JSONL file instead of detecting (FILE is not read).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="With --score: print the report as one JSON object.")
]
MinF1Option = Annotated[
    float | None,
    typer.Option(
        "--min-f1",
        help="With --score: exit 1 when macro F1 is below this.",
        min=0.0,
        max=1.0,
        show_default=False,
    ),
]


def detect_command(
    file: FileArgument = None,
    score: ScoreOption = None,
    as_json: JsonOption = False,
    min_f1: MinF1Option = None,
    home: HomeOption = None,
) -> None:
    from signalroom.signals.detector import Detector, default_detector
    from signalroom.signals.vocabulary import load_vocabulary

    if score is None and (as_json or min_f1 is not None):
        fail("--json and --min-f1 go with --score", hint="signalroom detect --score GOLD.jsonl")
    if score is not None and file is not None:
        fail(
            "give either FILE or --score GOLD.jsonl, not both", hint="see signalroom detect --help"
        )
    extra = _vocabulary_files(home)
    detector = Detector(load_vocabulary(extra)) if extra else default_detector()
    if score is not None:
        _score(detector, score, as_json=as_json, min_f1=min_f1)
        return
    name = "<stdin>" if file in (None, "-") else str(file)
    out = sys.stdout
    try:
        if file in (None, "-"):
            # bytes, so that a line that is not UTF-8 can be named (a text stream fails
            # somewhere in a buffered block instead)
            _run(detector, getattr(sys.stdin, "buffer", sys.stdin), name, out)
        else:
            with Path(str(file)).open("rb") as handle:
                _run(detector, handle, name, out)
    except OSError as exc:
        fail(
            f"cannot read {name}: {exc.strerror or exc}",
            hint="give a readable file, or '-' to read stdin",
            code=2,
        )


def _vocabulary_files(home: Path | None) -> list[Path]:
    if only_defaults(home):
        return []  # the default settings name no extra vocabulary: skip loading them
    from signalroom.config import load_settings

    settings = load_settings(home)
    return [p if p.is_absolute() else settings.home / p for p in settings.signals.vocabulary_files]


def _score(detector: Detector, path: Path, *, as_json: bool, min_f1: float | None) -> None:
    from signalroom.signals.scoring import GoldError, read_gold, score

    try:
        with path.open(encoding="utf-8") as handle:
            gold = read_gold(handle, str(path))
    except OSError as exc:
        fail(
            f"cannot read {path}: {exc.strerror or exc}", hint="give a readable JSONL file", code=2
        )
    except UnicodeDecodeError as exc:
        fail(f"{path}: not UTF-8 text ({exc.reason})", hint="convert the file to UTF-8", code=2)
    except GoldError as exc:
        fail(str(exc), hint='each line: {"text": ..., "expected": {the five keys}}', code=2)
    report = score(gold, detector.detect)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict()) + "\n")
    else:
        lines = [report.table()]
        if report.misses:
            lines.append(f"\nmisses ({len(report.misses)}):")
        for miss in report.misses:
            lines.append(f"line {miss.line}: {miss.text}")
            lines.append(f"  expected {json.dumps(miss.expected)}")
            lines.append(f"  got      {json.dumps(miss.got)}")
        sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
    if min_f1 is not None and report.macro_f1 < min_f1:
        fail(f"macro F1 {report.macro_f1:.3f} is below --min-f1 {min_f1}", code=1)


def _run(detector: Detector, lines: Iterable[bytes | str], name: str, out: TextIO) -> None:
    for text in utterances(lines, name):
        out.write(json.dumps(detector.detect(text).to_dict()) + "\n")
    out.flush()


def utterances(lines: Iterable[bytes | str], name: str) -> Iterator[str]:
    """The text of each line, in order; a line starting with '{' is read as JSON.

    A blank line yields "" (its signals are all empty), so output line N belongs to input
    line N. A line that is not UTF-8 or is malformed JSON stops the run with an error naming
    the file and line number.
    """
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                fail(
                    f"{name} line {number}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                    hint="convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8",
                    code=2,
                )
        else:
            line = raw
        if number == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark is not part of the text
        stripped = line.strip()
        if not stripped.startswith("{"):
            yield stripped
            continue
        try:
            obj = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            fail(
                f"{name} line {number}: malformed JSON ({exc})",
                hint='a line starting with "{" must be one JSON object with a "text" string',
                code=2,
            )
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            fail(
                f'{name} line {number}: a JSON line needs a string "text" field',
                hint='e.g. {"text": "we are a team of 12"}',
                code=2,
            )
        yield obj["text"]
