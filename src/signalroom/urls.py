"""URLs of queues and warehouses: one strict parser, and how a URL may be shown.

Every transport and warehouse reads its URL through :func:`parse_url`, so every one of them
refuses the same mistakes with a one-line ``ConfigError`` naming the part that is wrong:

* a scheme not followed by ``//`` (``redis:/host:6379/0`` would otherwise be read as a path
  on the default host);
* a malformed authority: a bad IPv6 bracket, an empty host where one is needed, a host where
  none belongs (``spool://host/dir``), user info where the backend takes none;
* a port that is not a whole number from 1 to 65535 (``redis://127.0.0.1:abc/0``);
* an unknown, repeated or malformed query option (``spool:///x?leese=5``), listing the known
  ones, so a typo never falls back to a default in silence;
* a fragment (``#…``: a ``#`` in a password must be written ``%23``).

The standard library's ``urllib.parse`` splits the URL; this module only judges the parts.
Messages show the URL with its password replaced by ``***`` (:func:`redact_url`).
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from signalroom.errors import ConfigError

#: What a scheme's authority (the part after ``//``) holds.
#: ``host``: ``[user[:password]@]host[:port]``, host optional; ``hosts``: the same with several
#: comma-separated ``host[:port]`` (libpq); ``name``: a bare name (a queue, a project);
#: ``none``: empty or ``localhost`` (a local path follows); ``path``: the start of a path.
Authority = Literal["host", "hosts", "name", "none", "path"]
#: Builds the error for a problem found in the URL being parsed.
_Refuse = Callable[[str], ConfigError]


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    """The parts of a URL :func:`parse_url` accepted (user info and options percent-decoded)."""

    shown: str
    scheme: str
    authority: str
    path: str
    username: str | None = None
    password: str | None = None
    #: ``(host, port)`` pairs; one for ``host``, one or more for ``hosts``, none otherwise.
    hosts: tuple[tuple[str, int | None], ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    #: A correct URL of the same backend, the hint of every error about this one.
    example: str = ""

    @property
    def host(self) -> str | None:
        return self.hosts[0][0] if self.hosts else None

    @property
    def port(self) -> int | None:
        return self.hosts[0][1] if self.hosts else None


def url_scheme(url: str) -> str:
    """The scheme of ``url`` (what picks the backend), even when the rest is malformed."""
    scheme, colon, _ = url.partition(":")
    return scheme.lower() if colon else ""


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (the rest stays readable)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # malformed: hide everything before the host
        head, at, tail = url.rpartition("@")
        return f"{head.partition('://')[0]}://***@{tail}" if at else url
    if password is None:
        return url
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_url(
    url: str,
    *,
    kind: str,
    authority: Authority,
    options: Set[str] = frozenset(),
    example: str,
) -> ParsedUrl:
    """Split ``url`` and check every part; ``kind`` names it in errors ("queue URL").

    ``options`` are the query options the backend knows; ``example`` is a correct URL of the
    backend, given as the hint of every error.
    """
    shown = redact_url(url)

    def refuse(problem: str) -> ConfigError:
        return ConfigError(f"{kind} {shown}: {problem}", hint=f"e.g. {example}")

    scheme, colon, rest = url.partition(":")
    if not colon or not scheme:
        raise refuse("has no scheme")
    if not rest.startswith("//"):
        raise refuse(f"'{scheme}:' must be followed by '//' (found '{scheme}:{rest[:12]}')")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise refuse(f"malformed authority: {exc}") from None
    if parts.fragment or url.endswith("#"):
        raise refuse("has a '#' part (write a '#' in a password as %23)")
    username, password, hosts = _authority(parts.netloc, authority, refuse)
    return ParsedUrl(
        shown=shown,
        scheme=parts.scheme,
        authority=parts.netloc,
        path=parts.path,
        username=username,
        password=password,
        hosts=hosts,
        options=_options(parts.query, options, refuse),
        example=example,
    )


_Hosts = tuple[tuple[str, int | None], ...]


def _authority(
    netloc: str, authority: Authority, refuse: _Refuse
) -> tuple[str | None, str | None, _Hosts]:
    """``(username, password, hosts)`` of the authority, judged by what it must hold."""
    if authority == "path":
        return None, None, ()
    if authority == "none":
        if netloc not in ("", "localhost"):
            raise refuse(f"names a host {netloc!r}, but this is a local path (use three slashes)")
        return None, None, ()
    userinfo, at, hostport = netloc.rpartition("@")
    if authority == "name":
        if at or ":" in netloc:
            raise refuse(f"{netloc!r} must be a plain name, without user, password or port")
        return None, None, ()
    username = password = None
    if at:
        user, has_password, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if has_password else None
    pieces = hostport.split(",") if authority == "hosts" else [hostport]
    hosts = tuple(_host_port(piece, refuse) for piece in pieces)
    if len(hosts) == 1 and not hosts[0][0] and hosts[0][1] is None:
        hosts = ()  # no host at all: the backend's default (or a local socket)
    return username, password, hosts


def _host_port(piece: str, refuse: _Refuse) -> tuple[str, int | None]:
    if piece.startswith("["):
        end = piece.find("]")
        if end < 0:
            raise refuse(f"malformed host {piece!r}: an IPv6 address needs its closing ']'")
        host, rest = piece[1:end], piece[end + 1 :]
        if rest and not rest.startswith(":"):
            raise refuse(f"malformed host {piece!r}: expected ':PORT' after ']'")
        raw_port = rest[1:] if rest else None
    else:
        host, colon, raw_port_text = piece.partition(":")
        raw_port = raw_port_text if colon else None
        if any(c in host for c in "[]/?#@ ") or not all(c.isprintable() for c in host):
            raise refuse(f"malformed host {host!r}")
    if not host and raw_port is not None:
        raise refuse(f"has a port but no host in {piece!r}")
    if raw_port is None:
        return host, None
    if not (raw_port.isascii() and raw_port.isdigit()) or not 1 <= int(raw_port) <= 65_535:
        raise refuse(f"port {raw_port!r} is not a whole number from 1 to 65535")
    return host, int(raw_port)


def _options(query: str, known: Set[str], refuse: _Refuse) -> dict[str, str]:
    query = "&".join(piece for piece in query.split("&") if piece)  # "a=1&" is harmless
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise refuse(f"malformed query {query!r}: use ?name=value&name=value") from None
    found: dict[str, str] = {}
    listed = ", ".join(sorted(known)) or "none"
    for name, value in pairs:
        if name not in known:
            raise refuse(f"unknown option {name!r} (known options: {listed})")
        if name in found:
            raise refuse(f"option {name!r} is given twice")
        found[name] = value
    return found


def number_option(
    parsed: ParsedUrl,
    name: str,
    default: float,
    *,
    kind: str,
    whole: bool = False,
    low: float = 0.0,
    high: float = float("inf"),
    low_inclusive: bool = False,
) -> float:
    """Option ``name`` as a number within ``(low, high]`` (``[low, high]`` when inclusive),
    in ASCII digits (``float`` and ``int`` also read "١٠" or "²")."""
    raw = parsed.options.get(name)
    if raw is None:
        return default
    try:
        value = float("nan") if not raw.isascii() else float(int(raw) if whole else raw)
    except ValueError:
        value = float("nan")
    above = value >= low if low_inclusive else value > low
    if not (above and value <= high):
        need = "whole number" if whole else "number"
        top = "" if high == float("inf") else f" and at most {high:g}"
        raise ConfigError(
            f"{kind} {parsed.shown}: {name}={raw!r} must be a {need} "
            f"{'of at least' if low_inclusive else 'above'} {low:g}{top}",
            hint=f"e.g. {parsed.example}" if parsed.example else None,
        )
    return value
