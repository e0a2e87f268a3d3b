"""``/healthz`` and ``/metrics`` over HTTP (aiohttp, already a LiveKit dependency).

``/healthz`` answers 200 with a JSON status while the consume loop is alive and 503 once it
stopped or has not polled the queue for ``stale_after_s``; ``/metrics`` is the Prometheus
text exposition of the service's own registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from signalroom.service.metrics import ServiceMetrics


class HealthServer:
    def __init__(
        self,
        metrics: ServiceMetrics,
        status: Callable[[], dict[str, Any]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stale_after_s: float = 60.0,
    ) -> None:
        self.metrics = metrics
        self.status = status
        self.host = host
        self.port = port
        self.stale_after_s = stale_after_s
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Start serving; return the bound port (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        status = self.status()
        polled = status.get("last_poll_monotonic")
        alive = status.get("running", False) and (
            polled is None or time.monotonic() - polled < self.stale_after_s
        )
        body = {k: v for k, v in status.items() if k != "last_poll_monotonic"}
        body["status"] = "ok" if alive else "unavailable"
        return web.json_response(body, status=200 if alive else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )
