"""The background forwarder the agent worker runs: a thread with its own event loop.

It forwards every ``forward_interval_s`` (or at once after ``wake()``). After a failed pass it
backs off exponentially with jitter (``tenacity``'s wait strategy) up to ``max_backoff_s``;
``wake()`` does not cut a backoff short, so a burst of appends during a broker outage does
not turn into a burst of attempts. The transport is opened inside the thread because broker
clients bind to the loop that created them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential, wait_random

from signalroom.outbox.sender import ForwardResult, forward
from signalroom.outbox.store import Outbox
from signalroom.transports.base import Transport

log = logging.getLogger("signalroom.outbox")


class _PassFailed(Exception):
    pass


class Forwarder:
    def __init__(
        self,
        outbox: Outbox,
        queue_url: str,
        *,
        open_transport: Callable[[str], Transport] | None = None,
    ) -> None:
        self.outbox = outbox
        self.queue_url = queue_url
        self._open = open_transport
        self.totals = ForwardResult()
        self.passes = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._final_timeout = 5.0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._main, name="signalroom-outbox-forwarder", daemon=True
        )
        self._thread.start()
        self._started.wait(5.0)

    def wake(self) -> None:
        """Forward soon (call after ``append``); safe from any thread."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self, timeout: float = 5.0) -> bool:
        """Make a last pass (bounded by ``timeout``) and stop; True if the thread ended."""
        thread = self._thread
        if thread is None:
            return True
        self._final_timeout = timeout
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout + 1.0)
        self._thread = None
        return not thread.is_alive()

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._started.set()
        transport: Transport | None = None
        settings = self.outbox.settings
        try:
            while not self._stop.is_set():
                retrying = AsyncRetrying(
                    # exponential backoff plus up to 1 s of jitter, spelled the same in
                    # every tenacity release
                    wait=wait_exponential(
                        multiplier=settings.forward_interval_s, max=settings.max_backoff_s
                    )
                    + wait_random(0, 1),
                    retry=retry_if_exception_type(_PassFailed),
                    stop=lambda _state: self._stop is not None and self._stop.is_set(),
                    sleep=self._backoff_sleep,
                    reraise=True,
                )
                try:
                    async for attempt in retrying:
                        with attempt:
                            transport = transport or self._make_transport()
                            await self._pass(transport)
                except _PassFailed:
                    pass
                await self._idle_sleep(settings.forward_interval_s)
            if transport is not None:
                try:
                    await asyncio.wait_for(self._pass(transport), self._final_timeout)
                except (TimeoutError, _PassFailed):
                    log.warning("outbox forwarder stopped with records still pending")
        finally:
            if transport is not None:
                await transport.close()

    def _make_transport(self) -> Transport:
        try:
            if self._open is not None:
                return self._open(self.queue_url)
            from signalroom.transports.registry import open_transport

            return open_transport(self.queue_url)
        except Exception as exc:
            log.error("outbox forwarder cannot open %s: %s", self.queue_url, exc)
            raise _PassFailed(str(exc)) from exc

    async def _pass(self, transport: Transport) -> None:
        try:
            result = await forward(self.outbox, transport, retries=1)
        except Exception as exc:  # the outbox file itself failed; keep the thread alive
            log.error("outbox forward pass failed: %s", exc)
            raise _PassFailed(str(exc)) from exc
        self.passes += 1
        self.totals.add(result)
        if result.failed:
            raise _PassFailed(result.last_error or "publish failed")

    async def _backoff_sleep(self, seconds: float) -> None:
        assert self._stop is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _idle_sleep(self, seconds: float) -> None:
        assert self._stop is not None and self._wake is not None
        waits = [asyncio.ensure_future(self._stop.wait()), asyncio.ensure_future(self._wake.wait())]
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        self._wake.clear()
