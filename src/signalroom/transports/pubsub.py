"""Google Cloud Pub/Sub backend: ``pubsub://PROJECT/TOPIC[?subscription=&ack_deadline=&...]``.

google-cloud-pubsub does the work: ``PublisherClient`` batches and publishes (a resolved future
is the service's confirmation), ``SubscriberClient.pull`` is a synchronous pull run in a thread.
On first use the topic, its subscription (default ``TOPIC-sub``) and the dead-letter topic
``TOPIC.dlq`` with subscription ``TOPIC.dlq-sub`` are created when missing; the subscription's
dead-letter policy forwards a message after ``max_delivery_attempts``. Credentials come from
Application Default Credentials; with ``PUBSUB_EMULATOR_HOST`` set, the client talks to that
emulator without credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import grpc
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials
from google.cloud import pubsub_v1
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportAuthError, TransportError
from signalroom.transports.base import Message, OutgoingMessage
from signalroom.urls import ParsedUrl, number_option, parse_url

T = TypeVar("T")

#: Pub/Sub refuses publish requests above 10 MB; the rest is room for topic and attributes.
PUBSUB_LIMIT = 10_000_000
ATTRIBUTE_RESERVE = 4096
DEFAULT_MAX_DELIVERY_ATTEMPTS = 5
_TOPIC_RE = re.compile(r"^[A-Za-z][-A-Za-z0-9_.~+%]{2,250}$")
_PROJECT_RE = re.compile(r"^[a-z][-a-z0-9.:]{1,62}$")
_KNOWN_PARAMS = {"subscription", "ack_deadline", "max_delivery_attempts", "timeout"}
_AUTH_ERRORS = (gexc.Unauthenticated, gexc.PermissionDenied, auth_exc.GoogleAuthError)


class PubSubTransport:
    max_message_bytes = PUBSUB_LIMIT - ATTRIBUTE_RESERVE

    def __init__(
        self,
        url: str,
        *,
        project: str,
        topic: str,
        subscription: str,
        ack_deadline_s: int = 60,
        max_delivery_attempts: int = DEFAULT_MAX_DELIVERY_ATTEMPTS,
        timeout_s: float = 30.0,
    ) -> None:
        self.url = url
        self.topic_path = f"projects/{project}/topics/{topic}"
        self.dlq_topic_path = f"{self.topic_path}.dlq"
        self.subscription_path = f"projects/{project}/subscriptions/{subscription}"
        self.dlq_subscription_path = f"projects/{project}/subscriptions/{topic}.dlq-sub"
        self.ack_deadline_s = ack_deadline_s
        self.max_delivery_attempts = max_delivery_attempts
        self.timeout_s = timeout_s
        self._retry = gretry.Retry(
            initial=0.1, maximum=2.0, multiplier=2.0, timeout=timeout_s,
            predicate=gretry.if_transient_error,
        )  # fmt: skip
        self._publisher: Any = None
        self._subscriber: Any = None
        self._lock = asyncio.Lock()

    # -- setup -------------------------------------------------------------------------------

    async def _clients(self) -> tuple[Any, Any]:
        async with self._lock:
            if self._subscriber is None:
                publisher, subscriber = await self._call("connect", self._make_clients)
                self._publisher = publisher
                await self._call("create topics and subscriptions", self._ensure, subscriber)
                self._subscriber = subscriber
            return self._publisher, self._subscriber

    def _make_clients(self) -> tuple[Any, Any]:
        batching = pubsub_v1.types.BatchSettings(
            max_messages=100, max_bytes=PUBSUB_LIMIT, max_latency=0.01
        )
        emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
        if not emulator:
            return pubsub_v1.PublisherClient(batch_settings=batching), pubsub_v1.SubscriberClient()
        # The library's own emulator channel keeps gRPC's 4 MB receive cap, which would refuse
        # messages the service accepts; give it the same unlimited channel options instead.
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        publisher = pubsub_v1.PublisherClient(
            batch_settings=batching,
            transport=PublisherGrpcTransport(
                channel=grpc.insecure_channel(emulator, options=options),
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            ),
        )
        subscriber = pubsub_v1.SubscriberClient(
            transport=SubscriberGrpcTransport(
                channel=grpc.insecure_channel(emulator, options=options),
                credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            )
        )
        return publisher, subscriber

    def _ensure(self, subscriber: Any) -> None:
        publisher = self._publisher
        for topic in (self.topic_path, self.dlq_topic_path):
            self._ensure_one(publisher.get_topic, publisher.create_topic, {"name": topic})
        dead_letter = {
            "dead_letter_topic": self.dlq_topic_path,
            "max_delivery_attempts": self.max_delivery_attempts,
        }
        main = {
            "name": self.subscription_path,
            "topic": self.topic_path,
            "ack_deadline_seconds": self.ack_deadline_s,
            "dead_letter_policy": dead_letter,
        }
        dlq = {"name": self.dlq_subscription_path, "topic": self.dlq_topic_path}
        for request in (main, dlq):
            self._ensure_one(subscriber.get_subscription, subscriber.create_subscription, request)

    def _ensure_one(
        self, get: Callable[..., Any], create: Callable[..., Any], request: dict[str, Any]
    ) -> None:
        # Look before creating: a deployment may hold only publisher/subscriber roles on
        # resources an administrator made; AlreadyExists means a concurrent consumer won.
        key = "topic" if "topic" not in request else "subscription"
        try:
            get(request={key: request["name"]}, retry=self._retry, timeout=self.timeout_s)
            return
        except gexc.NotFound:
            pass
        with contextlib.suppress(gexc.AlreadyExists):
            create(request=request, retry=self._retry, timeout=self.timeout_s)

    async def _call(self, action: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except _AUTH_ERRORS as exc:
            raise TransportAuthError(
                f"Pub/Sub refused the credentials for {self.url} ({action}): {exc}",
                hint="check GOOGLE_APPLICATION_CREDENTIALS and the account's Pub/Sub roles",
            ) from None
        except (gexc.GoogleAPIError, OSError) as exc:
            raise TransportError(
                f"Pub/Sub {action} failed for {self.url}: {exc}",
                hint="check the project, the network or PUBSUB_EMULATOR_HOST; can be retried",
            ) from None

    # -- Transport ---------------------------------------------------------------------------

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        for out in batch:
            if len(out.body) > self.max_message_bytes:
                raise PayloadTooLargeError(
                    f"message {out.id} is {len(out.body)} bytes; Pub/Sub ({self.url}) accepts "
                    f"{self.max_message_bytes}",
                    hint="Pub/Sub caps a publish request at 10 MB",
                )
        await self._publish(self.topic_path, [(o.body, {"ce-id": o.id}) for o in batch])

    async def _publish(self, topic: str, items: list[tuple[bytes, dict[str, str]]]) -> None:
        publisher, _ = await self._clients()

        def start() -> list[Any]:
            return [
                publisher.publish(topic, data, retry=self._retry, timeout=self.timeout_s, **attrs)
                for data, attrs in items
            ]

        futures = await self._call("publish", start)
        waiting = asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        try:
            await asyncio.wait_for(waiting, timeout=self.timeout_s * 2 + 5)
        except _AUTH_ERRORS as exc:
            raise TransportAuthError(
                f"Pub/Sub refused the credentials for {self.url} (publish): {exc}"
            ) from None
        except (gexc.GoogleAPIError, TimeoutError) as exc:
            raise TransportError(
                f"Pub/Sub did not confirm {len(items)} messages to {topic} ({self.url}): {exc}",
                hint="the outbox keeps them and retries",
            ) from None

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        _, subscriber = await self._clients()
        deadline = time.monotonic() + max(timeout_s, 0.05)
        request = {"subscription": self.subscription_path, "max_messages": min(max_messages, 1000)}

        def pull(timeout: float) -> list[Any]:
            try:
                response = subscriber.pull(request=request, retry=None, timeout=timeout)
            except gexc.DeadlineExceeded:
                return []  # nothing arrived within the wait
            return list(response.received_messages)

        while True:
            remaining = deadline - time.monotonic()
            received = await self._call("pull", pull, max(remaining, 0.05))
            # The service may answer early with nothing; keep waiting until the deadline.
            if received or time.monotonic() >= deadline:
                return [_message(r) for r in received]

    async def ack(self, message: Message) -> None:
        _, subscriber = await self._clients()
        request = {"subscription": self.subscription_path, "ack_ids": [message.handle]}
        await self._call("acknowledge", subscriber.acknowledge, request=request)

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        _, subscriber = await self._clients()
        request = {
            "subscription": self.subscription_path,
            "ack_ids": [message.handle],
            "ack_deadline_seconds": min(600, max(0, math.ceil(delay_s))),
        }
        await self._call("modify ack deadline", subscriber.modify_ack_deadline, request=request)

    async def dead_letter(self, message: Message, reason: str) -> None:
        attrs = {k: v for k, v in message.attributes.items() if not k.startswith("goog")}
        attrs.update({"ce-id": message.id, "reason": reason or "unspecified"})
        attrs["original-topic"] = self.topic_path
        await self._publish(self.dlq_topic_path, [(message.body, attrs)])
        await self.ack(message)

    async def check(self) -> str:
        _, subscriber = await self._clients()
        sub = await self._call(
            "read subscription", subscriber.get_subscription, subscription=self.subscription_path
        )
        policy = sub.dead_letter_policy
        return (
            f"subscription {sub.name} on {sub.topic}; dead letters after "
            f"{policy.max_delivery_attempts} attempts to {policy.dead_letter_topic}"
        )

    async def close(self) -> None:
        publisher, subscriber = self._publisher, self._subscriber
        self._publisher = self._subscriber = None
        if publisher is not None:
            await asyncio.to_thread(publisher.stop)
        if subscriber is not None:
            await asyncio.to_thread(subscriber.close)


def _message(received: Any) -> Message:
    msg = received.message
    attributes = dict(msg.attributes)
    return Message(
        id=attributes.get("ce-id") or msg.message_id,
        body=bytes(msg.data),
        # delivery_attempt is filled in because the subscription has a dead-letter policy.
        delivery_count=max(1, int(received.delivery_attempt)),
        handle=received.ack_id,
        attributes=attributes,
    )


def _whole(parsed: ParsedUrl, name: str, default: int, limits: tuple[int, int]) -> int:
    low, high = limits
    kind = "queue URL"
    return int(number_option(parsed, name, default, kind=kind, whole=True, low=low, high=high,
                             low_inclusive=True))  # fmt: skip


def from_url(url: str) -> PubSubTransport:
    parsed = parse_url(
        url,
        kind="queue URL",
        authority="name",
        options=_KNOWN_PARAMS,
        example="pubsub://my-project/signalroom-records",
    )
    params = parsed.options
    parts = urlsplit(url)
    project, topic = parts.netloc, parts.path.strip("/")
    if not _PROJECT_RE.match(project):
        raise ConfigError(
            f"project {project!r} in queue URL {url} is not a Google Cloud project id",
            hint="e.g. pubsub://my-project/signalroom-records",
        )
    if not _TOPIC_RE.match(topic) or topic.startswith("goog"):
        raise ConfigError(
            f"topic {topic!r} in queue URL {url} is not a valid Pub/Sub topic name",
            hint="start with a letter; letters, digits and - _ . ~ + %; 3-250 characters",
        )
    subscription = params.get("subscription") or f"{topic}-sub"
    if not _TOPIC_RE.match(subscription):
        raise ConfigError(f"subscription {subscription!r} in queue URL {url} is not valid")
    return PubSubTransport(
        url,
        project=project,
        topic=topic,
        subscription=subscription,
        ack_deadline_s=_whole(parsed, "ack_deadline", 60, (10, 600)),
        max_delivery_attempts=_whole(
            parsed, "max_delivery_attempts", DEFAULT_MAX_DELIVERY_ATTEMPTS, (5, 100)
        ),
        timeout_s=float(_whole(parsed, "timeout", 30, (1, 600))),
    )
