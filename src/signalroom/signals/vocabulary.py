"""The vocabulary: bundled data files, merged with a deployer's own files.

The bundled files live in ``signalroom/signals/data/*.toml`` (read with importlib.resources).
A deployer lists extra files in ``Settings.signals.vocabulary_files``; each is merged over the
bundled ones: lists are extended (duplicates dropped), tables merged key by key, and single
values replaced. See docs/signals.md for the format.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from signalroom.errors import ConfigError
from signalroom.signals.model import INDUSTRIES

BUNDLED_FILES = ("integrations.toml", "industries.toml", "urgency.toml", "quantities.toml")
_SECTIONS = {
    "integrations",
    "integration_context",
    "industries",
    "industry_context",
    "urgency",
    "team",
    "volume",
    "numbers",
}
_CANONICAL = re.compile(r"[a-z0-9_]{1,64}")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Merged vocabulary tables, and the files they came from (bundled first)."""

    data: Mapping[str, Any]
    sources: tuple[str, ...]

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        return value if isinstance(value, dict) else {}

    def words(self, section: str, key: str) -> list[str]:
        value = self.section(section).get(key, [])
        return [str(v) for v in value] if isinstance(value, list) else []


def load_vocabulary(extra_files: Iterable[str | Path] = ()) -> Vocabulary:
    """The bundled vocabulary with ``extra_files`` merged over it, in the order given.

    Raises :class:`ConfigError` naming the file when one cannot be read or is malformed.
    """
    merged: dict[str, Any] = {}
    sources: list[str] = []
    package = resources.files("signalroom.signals") / "data"
    for name in BUNDLED_FILES:
        text = (package / name).read_text(encoding="utf-8")
        _merge(merged, _parse(text, f"bundled {name}"))
        sources.append(f"bundled:{name}")
    for path in extra_files:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot read vocabulary file {where}: {exc}",
                hint="fix signals.vocabulary_files in signalroom.toml",
            ) from None
        _merge(merged, _parse(text, where))
        sources.append(where)
    return Vocabulary(merged, tuple(sources))


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"vocabulary file {where} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _SECTIONS)
    if unknown:
        raise ConfigError(
            f"vocabulary file {where} has unknown section(s) {', '.join(unknown)}",
            hint=f"sections are {', '.join(sorted(_SECTIONS))}",
        )
    for label in data.get("industries", {}):
        if label not in INDUSTRIES:
            raise ConfigError(
                f"vocabulary file {where}: industry {label!r} is not one of the 16 labels",
                hint=", ".join(INDUSTRIES),
            )
    for name, entry in data.get("integrations", {}).items():
        if not _CANONICAL.fullmatch(name) or not isinstance(entry, dict):
            raise ConfigError(
                f"vocabulary file {where}: integration {name!r} must be a lowercase "
                "name (a-z, 0-9, _) with a table of aliases"
            )
    _check_lists(data, where, "")
    return data


def _check_lists(node: Mapping[str, Any], where: str, path: str) -> None:
    for key, value in node.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            _check_lists(value, where, here)
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"vocabulary file {where}: {here} must be a list of strings")


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            old.extend(v for v in value if v not in old)
        elif isinstance(value, dict):
            into[key] = {}
            _merge(into[key], value)
        elif isinstance(value, list):
            into[key] = list(value)
        else:
            into[key] = value
