"""Who may read the dashboard.

- Without a token the dashboard only binds to a loopback address, answers only loopback
  clients, and only for a loopback ``Host`` header (a web page cannot reach it through DNS
  rebinding).
- With a token every request needs it, loopback or not (behind a reverse proxy every client
  looks local): ``Authorization: Bearer TOKEN``, or a cookie set once by opening any page with
  ``?token=TOKEN``. The cookie holds an HMAC of the token, never the token; comparisons use
  :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

COOKIE = "signalroom_dashboard"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
#: Paths anyone may read: a liveness probe with no data in it.
PUBLIC_PATHS = {"/healthz"}


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The host part of a ``Host`` header (``[::1]:8765`` → ``::1``)."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"signalroom-dashboard-cookie", hashlib.sha256).hexdigest()


Handler = Callable[[Request], Awaitable[Response]]


class TokenGate:
    """Starlette HTTP middleware enforcing the rules in this module's docstring."""

    def __init__(self, token: str | None) -> None:
        self._token = token or None
        self._cookie = cookie_value(token) if token else None

    async def __call__(self, request: Request, call_next: Handler) -> Response:
        if request.url.path in PUBLIC_PATHS:
            return await call_next(request)
        client = request.client.host if request.client else None
        if self._token is None:
            if not is_loopback(client):
                return _denied("this dashboard has no token, so it answers only local clients")
            if not is_loopback(_host_name(request.headers.get("host", ""))):
                return _denied("unexpected Host header for a local-only dashboard", status=403)
            return await call_next(request)

        if self._valid_header(request) or self._valid_cookie(request):
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and hmac.compare_digest(given.encode(), self._token.encode()):
            # Trade the token in the URL for a cookie, and drop it from the address bar.
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (("?" + urlencode(rest)) if rest else "")
            response = RedirectResponse(target, status_code=303)
            assert self._cookie is not None
            response.set_cookie(
                COOKIE,
                self._cookie,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
            return response
        return _denied("a valid token is required: send Authorization: Bearer TOKEN or ?token=")

    def _valid_header(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value or self._token is None:
            return False
        return hmac.compare_digest(value.strip().encode(), self._token.encode())

    def _valid_cookie(self, request: Request) -> bool:
        value = request.cookies.get(COOKIE)
        if not value or self._cookie is None:
            return False
        return hmac.compare_digest(value.encode(), self._cookie.encode())


def _denied(message: str, *, status: int = 401) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="signalroom"'} if status == 401 else {}
    return PlainTextResponse(f"{status}: {message}\n", status_code=status, headers=headers)
