"""NATS JetStream backend: ``nats://host:4222/SUBJECT[?stream=&durable=&max_deliver=&ack_wait=]``.

nats-py does the wire protocol, reconnects and JetStream API calls. On first use this module
creates, when missing, a work-queue stream holding ``SUBJECT`` and ``SUBJECT.dlq`` and a durable
pull consumer on ``SUBJECT``; every competing consumer shares that durable. Publishing waits for
each PubAck and sets ``Nats-Msg-Id`` so JetStream drops duplicates within its window. A message
delivered ``max_deliver`` times without an ack is moved to ``SUBJECT.dlq`` on its next delivery,
with the reason in a header, so nothing stays stuck and unseen.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportAuthError, TransportError
from signalroom.transports.base import Message, OutgoingMessage
from signalroom.urls import parse_url

log = logging.getLogger("signalroom.transports.nats")

#: Room left under the server's max_payload for the headers this module adds.
HEADER_RESERVE = 1024
DEFAULT_MAX_DELIVER = 5
_PUBLISH_CONCURRENCY = 64
_SUBJECT_RE = re.compile(r"^[^\s.*>]+(\.[^\s.*>]+)*$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_KNOWN_PARAMS = {"stream", "durable", "max_deliver", "ack_wait", "timeout", "creds", "tls"}
_NATS_ERRORS = (nats.errors.Error, OSError, asyncio.TimeoutError)


class NatsTransport:
    max_message_bytes = 1024 * 1024 - HEADER_RESERVE

    def __init__(
        self,
        url: str,
        *,
        server: str,
        subject: str,
        stream: str,
        durable: str,
        max_deliver: int = DEFAULT_MAX_DELIVER,
        ack_wait_s: float = 30.0,
        timeout_s: float = 5.0,
        connect_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.subject = subject
        self.dlq_subject = f"{subject}.dlq"
        self.stream = stream
        self.durable = durable
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.timeout_s = timeout_s
        self._server = server
        self._connect_options = connect_options or {}
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._lock = asyncio.Lock()

    # -- setup -------------------------------------------------------------------------------

    async def _jetstream(self) -> JetStreamContext:
        async with self._lock:
            if self._nc is not None and self._nc.is_closed:
                # nats-py gave up reconnecting: start afresh, so a later call can recover.
                self._nc, self._js, self._sub = None, None, None
            if self._js is None:
                self._nc = await self._connect()
                js = self._nc.jetstream(timeout=self.timeout_s)
                await self._ensure_stream(js)
                self._js = js
                self.max_message_bytes = self._nc.max_payload - HEADER_RESERVE
            return self._js

    async def _connect(self) -> NatsClient:
        async def on_error(exc: Exception) -> None:
            log.warning("nats %s: %s", self.url, exc)

        try:
            return await nats.connect(
                servers=[self._server],
                connect_timeout=min(self.timeout_s, 5.0),
                # Few attempts, so a call fails fast while the server is down; once nats-py
                # gives up, the next call opens a new connection.
                max_reconnect_attempts=3,
                reconnect_time_wait=0.5,
                error_cb=on_error,
                **self._connect_options,
            )
        except nats.errors.NoServersError:
            raise TransportError(
                f"cannot reach NATS at {self.url}",
                hint="is nats-server running (with -js) and the host and port right?",
            ) from None
        except _NATS_ERRORS as exc:
            raise self._error("connect", exc) from None

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            config = StreamConfig(
                name=self.stream,
                subjects=[self.subject, self.dlq_subject],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
            )
            try:
                await js.add_stream(config)
            except _NATS_ERRORS as exc:
                raise self._error(f"create stream {self.stream}", exc) from None
        except nats.errors.NoRespondersError:
            raise TransportError(
                f"NATS at {self.url} has no JetStream",
                hint="start nats-server with -js (JetStream enabled)",
            ) from None
        except _NATS_ERRORS as exc:
            raise self._error(f"look up stream {self.stream}", exc) from None

    async def _subscription(self) -> JetStreamContext.PullSubscription:
        js = await self._jetstream()
        if self._sub is None:
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait_s,
                # One delivery more than the limit: that one is moved to the dead-letter subject.
                max_deliver=self.max_deliver + 1,
                filter_subject=self.subject,
            )
            try:
                self._sub = await js.pull_subscribe(
                    self.subject, durable=self.durable, stream=self.stream, config=config
                )
            except _NATS_ERRORS as exc:
                raise self._error(f"create consumer {self.durable}", exc) from None
        return self._sub

    # -- Transport ---------------------------------------------------------------------------

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        js = await self._jetstream()
        for out in batch:
            if len(out.body) > self.max_message_bytes:
                raise PayloadTooLargeError(
                    f"message {out.id} is {len(out.body)} bytes; NATS at {self.url} accepts "
                    f"{self.max_message_bytes}",
                    hint="raise max_payload in nats-server.conf or keep records smaller",
                )
        gate = asyncio.Semaphore(_PUBLISH_CONCURRENCY)

        async def send(out: OutgoingMessage) -> None:
            headers = {"Nats-Msg-Id": out.id, "ce-id": out.id}
            async with gate:
                await js.publish(self.subject, out.body, headers=headers, stream=self.stream)

        results = await asyncio.gather(*(send(o) for o in batch), return_exceptions=True)
        failed = [(o.id, r) for o, r in zip(batch, results, strict=True) if r is not None]
        if failed:
            first = failed[0][1]
            if not isinstance(first, Exception):
                raise first
            ids = ", ".join(i for i, _ in failed[:5])
            raise self._error(f"publish {len(failed)} of {len(batch)} ({ids})", first) from first

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        sub = await self._subscription()
        try:
            raw = await sub.fetch(max(1, max_messages), timeout=max(timeout_s, 0.05))
        except TimeoutError:  # nats-py raises both its own and asyncio's: nothing arrived
            return []
        except _NATS_ERRORS as exc:
            raise self._error("fetch", exc) from None
        taken: list[Message] = []
        for msg in raw:
            delivered = msg.metadata.num_delivered
            headers = {k: str(v) for k, v in (msg.headers or {}).items()}
            message = Message(
                id=headers.get("ce-id") or headers.get("Nats-Msg-Id") or _seq_id(msg),
                body=msg.data,
                delivery_count=delivered,
                handle=msg,
                attributes=headers,
            )
            if delivered > self.max_deliver:
                reason = f"delivered {delivered - 1} times without an ack (max_deliver)"
                await self.dead_letter(message, reason)
            else:
                taken.append(message)
        return taken

    async def ack(self, message: Message) -> None:
        try:
            await _msg(message).ack_sync(timeout=self.timeout_s)
        except _NATS_ERRORS as exc:
            raise self._error(f"ack {message.id}", exc) from None

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        try:
            await _msg(message).nak(delay=delay_s if delay_s > 0 else None)
        except _NATS_ERRORS as exc:
            raise self._error(f"nak {message.id}", exc) from None

    async def dead_letter(self, message: Message, reason: str) -> None:
        js = await self._jetstream()
        headers = {
            "Nats-Msg-Id": f"{message.id}.dlq",
            "ce-id": message.id,
            # NATS headers are single lines.
            "reason": " ".join(reason.split()) or "unspecified",
            "original-subject": self.subject,
        }
        try:
            await js.publish(self.dlq_subject, message.body, headers=headers, stream=self.stream)
            await _msg(message).term()
        except _NATS_ERRORS as exc:
            raise self._error(f"dead-letter {message.id}", exc) from None

    async def check(self) -> str:
        js = await self._jetstream()
        try:
            info = await js.stream_info(self.stream)
        except _NATS_ERRORS as exc:
            raise self._error(f"read stream {self.stream}", exc) from None
        return f"stream {self.stream}: {info.state.messages} messages on {self.subject}(.dlq)"

    async def close(self) -> None:
        nc, self._nc, self._js, self._sub = self._nc, None, None, None
        if nc is not None and not nc.is_closed:
            try:
                await nc.close()
            except _NATS_ERRORS as exc:
                log.debug("closing nats connection: %s", exc)

    def _error(self, action: str, exc: BaseException) -> TransportError:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, nats.errors.AuthorizationError) or "authoriz" in text.lower():
            return TransportAuthError(
                f"NATS at {self.url} refused the credentials ({action})",
                hint="check the user/password or token in the URL, or the creds= file",
            )
        return TransportError(
            f"NATS at {self.url}: {action} failed: {text}",
            hint="check the server is up with JetStream (-js); the call can be retried",
        )


def _msg(message: Message) -> Msg:
    if not isinstance(message.handle, Msg):
        raise TypeError(f"message {message.id} was not delivered by a NATS transport")
    return message.handle


def _seq_id(msg: Msg) -> str:
    return f"{msg.metadata.stream}:{msg.metadata.sequence.stream}"


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None:
        return url
    netloc = "***@" + parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=netloc).geturl()


def _number(params: dict[str, str], name: str, default: float, url: str) -> float:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} in queue URL {url} must be a positive number")
    return value


def from_url(url: str) -> NatsTransport:
    parsed = parse_url(
        url,
        kind="queue URL",
        authority="host",
        options=_KNOWN_PARAMS,
        example="nats://127.0.0.1:4222/signalroom.records",
    )
    safe = _redact(url)  # a token may be the user part: hide it whole
    if parsed.scheme != "nats":
        raise ConfigError(f"not a nats:// URL: {safe}")
    subject = parsed.path.strip("/")
    if not subject or not _SUBJECT_RE.match(subject):
        raise ConfigError(
            f"queue URL {safe} needs a subject as its path, without wildcards or spaces",
            hint="e.g. nats://127.0.0.1:4222/signalroom.records",
        )
    params = parsed.options
    stream = params.get("stream") or re.sub(r"[^A-Za-z0-9_-]", "_", subject).upper()
    durable = params.get("durable") or "signalroom"
    for label, name in (("stream", stream), ("durable", durable)):
        if not _NAME_RE.match(name):
            raise ConfigError(f"{label}={name!r} in queue URL {safe}: use letters, digits, _ and -")
    max_deliver = _number(params, "max_deliver", DEFAULT_MAX_DELIVER, safe)
    if max_deliver != int(max_deliver):
        raise ConfigError(f"max_deliver in queue URL {safe} must be a whole number")
    options: dict[str, Any] = {}
    if params.get("creds"):
        options["user_credentials"] = params["creds"]
    if params.get("tls", "").lower() in ("1", "true", "yes"):
        options["tls"] = ssl.create_default_context()
    host = parsed.host or "127.0.0.1"
    port = parsed.port or 4222
    auth = parsed.authority.rpartition("@")[0]
    server = f"{'tls' if 'tls' in options else 'nats'}://{auth + '@' if auth else ''}{host}:{port}"
    return NatsTransport(
        safe,
        server=server,
        subject=subject,
        stream=stream,
        durable=durable,
        max_deliver=int(max_deliver),
        ack_wait_s=_number(params, "ack_wait", 30.0, safe),
        timeout_s=_number(params, "timeout", 5.0, safe),
        connect_options=options,
    )
