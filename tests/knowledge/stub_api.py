"""A real local HTTP server standing in for a vendor API: it records each request and answers
with scripted responses. Used by the knowledge and booking tests."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Scripted:
    status: int
    body: Any
    delay_s: float = 0.0


class StubApi:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[Scripted] = deque()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    def answer(self, status: int, body: Any, *, delay_s: float = 0.0) -> None:
        self._script.append(Scripted(status, body, delay_s))

    async def start(self) -> None:
        await self._server.start_server()

    async def close(self) -> None:
        await self._server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
        )
        if not self._script:
            return web.json_response({"message": "no scripted answer"}, status=599)
        step = self._script.popleft()
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if isinstance(step.body, str):
            return web.Response(text=step.body, status=step.status)
        return web.json_response(step.body, status=step.status)
