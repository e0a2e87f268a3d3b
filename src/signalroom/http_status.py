"""One reading of an HTTP answer, shared by every backend that speaks HTTP.

Cal.com booking, the knowledge search API, webhooks and HubSpot each raise their own error
types, but which statuses mean what is decided here only:

- 401, 403: the credentials were refused (a retry cannot help until someone fixes them);
- 408, 429, 5xx: the service is busy or down (retry later);
- other 4xx: the request itself was refused (a retry would be refused again).

httpx gives the response; the error text is the service's own message when it sends one
(RFC 7807 ``detail``/``title``, ``{"error": {"message"}}`` or ``{"message"}``), else the body.
"""

from __future__ import annotations

from enum import Enum

import httpx


class Failure(Enum):
    AUTH = "auth"
    UNAVAILABLE = "unavailable"
    REFUSED = "refused"


def failure(status: int) -> Failure | None:
    """What an HTTP status means for the caller; None for success (and redirects)."""
    if status < 400:
        return None
    if status in (401, 403):
        return Failure.AUTH
    if status in (408, 429) or status >= 500:
        return Failure.UNAVAILABLE
    return Failure.REFUSED


def error_text(response: httpx.Response, limit: int = 200) -> str:
    """The service's own error message, on one line."""
    try:
        body = response.json()
    except ValueError:
        text = response.text[:limit] or response.reason_phrase
    else:
        text = str(body)[:limit]
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict) and error.get("message"):
                text = str(error["message"])
            else:
                for key in ("detail", "title", "message", "error"):
                    if body.get(key):
                        text = str(body[key])
                        break
    return " ".join(text.split())[:limit]
