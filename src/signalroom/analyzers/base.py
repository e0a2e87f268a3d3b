"""The analyzer surface: a named, versioned, pure function of one record.

An analyzer's result is stored with its ``version``, so a reader can tell which rubric produced a
stored score and ``signalroom service reanalyze`` can bring old calls up to the current one.
Analyzers whose behaviour depends on configuration (weights, prices) fold a digest of that
configuration into their version: a changed rubric is a new version.

Failure policy: analyzers are deterministic, so one that raises on a record would raise again on
every retry. :func:`run_analyzers` therefore stores an *error result* for that analyzer
(``{"error": "..."}``) and keeps the session and the other results, instead of dead-lettering a
whole call because of one analyzer; fix the analyzer and run ``reanalyze``. Callers that prefer to
stop pass ``on_error="raise"`` and get an :class:`~signalroom.errors.AnalyzerError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from signalroom.destinations.base import AnalyzerResult
from signalroom.errors import AnalyzerError
from signalroom.record import SessionRecord

log = logging.getLogger("signalroom.analyzers")

__all__ = ["Analyzer", "AnalyzerResult", "config_version", "deep_merge", "run_analyzers"]


@runtime_checkable
class Analyzer(Protocol):
    name: str
    version: str

    def analyze(self, record: SessionRecord) -> dict[str, Any]: ...


def run_analyzers(
    record: SessionRecord,
    analyzers: Sequence[Analyzer],
    *,
    on_error: Literal["store", "raise"] = "store",
) -> dict[str, AnalyzerResult]:
    """Run every analyzer over ``record``; results keyed by analyzer name."""
    results: dict[str, AnalyzerResult] = {}
    for analyzer in analyzers:
        try:
            result = analyzer.analyze(record)
        except Exception as exc:
            error = AnalyzerError(
                f"analyzer {analyzer.name!r} (version {analyzer.version}) failed on record "
                f"{record.record_id}: {type(exc).__name__}: {exc}"
            )
            if on_error == "raise":
                raise error from exc
            log.warning("%s", error)
            result = {"error": str(error)}
        results[analyzer.name] = AnalyzerResult(analyzer.name, analyzer.version, result)
    return results


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``; nested mappings merge, other values replace."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def config_version(code_version: str, config: Any, defaults: Any) -> str:
    """``code_version`` for the shipped defaults, else ``code_version+<digest of config>``."""
    if config == defaults:
        return code_version
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return f"{code_version}+{hashlib.sha256(blob).hexdigest()[:8]}"
