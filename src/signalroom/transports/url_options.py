"""Options of a queue URL's query string, checked against what the backend knows."""

from __future__ import annotations

from collections.abc import Set
from urllib.parse import parse_qs

from signalroom.errors import ConfigError


def url_options(url: str, query: str, known: Set[str]) -> dict[str, str]:
    """``?a=1&b=2`` as a dict (the last value of a repeated key wins).

    An unknown option is refused, naming it and listing the known ones, so a typo such as
    ``max_delivr`` never silently falls back to a default.
    """
    parsed = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(parsed) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown option {unknown[0]!r} in queue URL {url}",
            hint=f"known options: {', '.join(sorted(known))}",
        )
    return {k: v[-1] for k, v in parsed.items()}
