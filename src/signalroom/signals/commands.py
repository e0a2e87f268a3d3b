"""``signalroom detect [FILE]``: the five signals of each input line, as JSON lines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from signalroom.cli_common import HomeOption
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
        "Each non-empty line is plain text, or JSONL when it starts with '{' (its \"text\" is "
        "used, other keys are ignored). Prints one JSON object per non-empty line, in input "
        "order, with team_size, monthly_volume, integration_needs, urgency and industry. "
        "Blank lines are skipped. Extra vocabulary files come from signals.vocabulary_files "
        "in the home's signalroom.toml.\n\n"
        "Example: signalroom detect calls.jsonl > signals.jsonl",
    )(detect_command)


def detect_command(file: FileArgument = None, home: HomeOption = None) -> None:
    from signalroom.config import load_settings
    from signalroom.signals.detector import Detector, default_detector
    from signalroom.signals.vocabulary import load_vocabulary

    settings = load_settings(home)
    extra = [p if p.is_absolute() else settings.home / p for p in settings.signals.vocabulary_files]
    detector = Detector(load_vocabulary(extra)) if extra else default_detector()
    name = "<stdin>" if file in (None, "-") else str(file)
    out = sys.stdout
    try:
        if file in (None, "-"):
            _run(detector, sys.stdin, name, out)
        else:
            with Path(str(file)).open(encoding="utf-8") as handle:
                _run(detector, handle, name, out)
    except OSError as exc:
        fail(f"cannot read {name}: {exc.strerror or exc}", code=2)
    except UnicodeDecodeError as exc:
        fail(f"cannot read {name}: not UTF-8 text ({exc.reason})", code=2)


def _run(detector: Detector, lines: TextIO, name: str, out: TextIO) -> None:
    for text in utterances(lines, name):
        out.write(json.dumps(detector.detect(text).to_dict()) + "\n")
    out.flush()


def utterances(lines: Iterable[str], name: str) -> Iterator[str]:
    """The text of each non-empty line; a line starting with '{' is read as JSON.

    A malformed JSON line stops the run with an error naming the file and line number.
    """
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("{"):
            yield stripped
            continue
        try:
            obj = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            fail(f"{name} line {number}: malformed JSON ({exc})", code=2)
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            fail(f'{name} line {number}: a JSON line needs a string "text" field', code=2)
        yield obj["text"]
