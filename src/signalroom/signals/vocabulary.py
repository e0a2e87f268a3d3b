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

BUNDLED_FILES = (
    "integrations.toml",
    "industries.toml",
    "naics.toml",
    "urgency.toml",
    "quantities.toml",
)
#: The keys each table may have. A set: those keys; a dict: keys with their own schema;
#: ``_EACH``: every key is a user-chosen name (a tool, an industry) with that schema;
#: ``_FREE``: a table of user-chosen phrases (``"every day" = 30``).
_Schema = frozenset[str] | dict[str, "_Schema"] | tuple[str, "_Schema"] | None
_FREE: _Schema = None
_EACH = "each"
_SCHEMA: dict[str, _Schema] = {
    "integrations": (_EACH, frozenset({"aliases", "ambiguous", "deny_before", "deny_after"})),
    "integration_context": frozenset(
        {"frame_before", "product_after", "common_before", "news", "negation", "negation_after"}
    ),
    "industries": (_EACH, frozenset({"cues", "org", "roles", "activities"})),
    "industry_taxonomy": (_EACH, frozenset({"cues", "org"})),
    "industry_context": frozenset(
        {
            "anchors",
            "possession_anchors",
            "field_anchors",
            "subject_anchors",
            "work_anchors",
            "blockers",
            "role_words",
            "org_nouns",
            "fragment_heads",
            "collectives",
            "max_gap",
            "ignore",
        }
    ),
    "urgency": {
        "high": _FREE,
        "medium": _FREE,
        "low": _FREE,
        "ignore": _FREE,
        "timeframes": frozenset(
            {"high", "medium", "low", "soon", "intent", "need", "other_party", "report"}
        ),
        "horizon": {
            "units": _FREE,
            "lead_words": _FREE,
            "trail_words": _FREE,
            "high_max_days": _FREE,
            "medium_max_days": _FREE,
        },
    },
    "team": {
        "generic": _FREE,
        "roles": _FREE,
        "left_cues": _FREE,
        "strong_left_cues": _FREE,
        "phrases": _FREE,
        "use_after": _FREE,
        "block": frozenset({"after", "before", "modifiers", "context"}),
    },
    "volume": {
        "nouns": _FREE,
        "verbs": _FREE,
        "periods": _FREE,
        "adverbs": _FREE,
        "rate_words": frozenset({"words"}),
    },
    "numbers": frozenset({"fillers", "boundary", "other_heads", "label_before", "approximators"}),
}
_SECTIONS = set(_SCHEMA)
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
    for label in [*data.get("industries", {}), *data.get("industry_taxonomy", {})]:
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
    _check_keys(data, _SCHEMA, where, "")
    _check_lists(data, where, "")
    return data


def _check_keys(node: Mapping[str, Any], schema: _Schema, where: str, path: str) -> None:
    """Refuse a key the detector would never read ("aliasez"), naming file, table and key."""
    if schema is None:
        return
    if isinstance(schema, tuple):  # [integrations.<name>]: each entry has the inner schema
        for name, entry in node.items():
            if isinstance(entry, dict):
                _check_keys(entry, schema[1], where, f"{path}.{name}")
        return
    known = set(schema)
    for key, value in node.items():
        if key not in known:
            table = f"[{path}]" if path else "the top level"
            raise ConfigError(
                f"vocabulary file {where}: unknown key {key!r} in {table}",
                hint=f"keys of [{path}] are {', '.join(sorted(known))}",
            )
        if isinstance(schema, dict) and isinstance(value, dict):
            _check_keys(value, schema[key], where, f"{path}.{key}" if path else key)
        elif isinstance(schema, dict) and schema[key] is not None and not isinstance(value, dict):
            raise ConfigError(f"vocabulary file {where}: [{path}.{key}] must be a table")


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
