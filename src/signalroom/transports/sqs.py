"""Amazon SQS backend: ``sqs://QUEUE?region=&endpoint_url=&visibility_timeout=&max_receive=``.

boto3 makes the calls (blocking, so each runs in ``asyncio.to_thread``) and finds credentials
through the standard AWS chain: environment, shared config/credentials files, SSO, instance or
task role. On first use the queue and its dead-letter queue ``QUEUE-dlq`` are created when
missing (SQS names cannot hold a dot, hence ``-dlq`` rather than ``.dlq``), the main queue with
a redrive policy that moves a message to the DLQ after ``max_receive`` receives. A name ending
in ``.fifo`` makes both FIFO queues and uses the record id for broker-side deduplication.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3  # the aws extra; registry.open_transport explains when it is missing
import botocore.config
import botocore.exceptions
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from signalroom.errors import ConfigError, PayloadTooLargeError, TransportAuthError, TransportError
from signalroom.transports.base import ACK_PARALLEL, Message, OutgoingMessage, TransportBase
from signalroom.urls import ParsedUrl, number_option, parse_url

T = TypeVar("T")

#: SQS counts message attributes against its 256 KiB limit: this is left for ours.
ATTRIBUTE_RESERVE = 1024
SQS_LIMIT = 262_144
#: SQS's most entries per batch call (send, delete) and messages per receive.
_BATCH_MAX = 10
DEFAULT_MAX_RECEIVE = 5
_AUTH_CODES = {
    "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied",
    "AccessDeniedException", "ExpiredToken", "InvalidAccessKeyId", "InvalidSecurity",
}  # fmt: skip
_MISSING_CODES = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
_KNOWN_PARAMS = {"region", "endpoint_url", "visibility_timeout", "max_receive", "profile"}
_ENCODING = "signalroom-encoding"
_COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
_NO_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
)


class _BrokerFault(Exception):
    """Some entries of a batch failed on SQS's side: worth sending again."""


@dataclass(frozen=True, slots=True)
class _Handle:
    receipt: str
    raw_body: str
    attributes: dict[str, Any]


class SqsTransport(TransportBase):
    max_message_bytes = SQS_LIMIT - ATTRIBUTE_RESERVE

    def __init__(
        self,
        url: str,
        *,
        queue: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        visibility_timeout: int = 30,
        max_receive: int = DEFAULT_MAX_RECEIVE,
    ) -> None:
        self.url = url
        self.queue = queue
        self.fifo = queue.endswith(".fifo")
        self.dlq = f"{queue.removesuffix('.fifo')}-dlq" + (".fifo" if self.fifo else "")
        self.visibility_timeout = visibility_timeout
        self.max_receive = max_receive
        self._region = region
        self._endpoint_url = endpoint_url
        self._profile = profile
        self._client: Any = None
        self._queue_url = ""
        self._dlq_url = ""
        self._lock = asyncio.Lock()

    # -- setup -------------------------------------------------------------------------------

    async def _ready(self) -> Any:
        async with self._lock:
            if self._client is None:
                client = await asyncio.to_thread(self._make_client)
                self._dlq_url = await self._call("create queue", self._ensure, client, self.dlq)
                self._queue_url = await self._call("create queue", self._ensure, client, self.queue)
                self._client = client
            return self._client

    def _make_client(self) -> Any:
        config = botocore.config.Config(
            connect_timeout=5,
            read_timeout=30,  # above the 20 s long poll
            retries={"max_attempts": 3, "mode": "standard"},
        )
        try:
            session = boto3.session.Session(profile_name=self._profile, region_name=self._region)
            return session.client("sqs", endpoint_url=self._endpoint_url, config=config)
        except botocore.exceptions.NoRegionError:
            raise ConfigError(
                f"queue URL {self.url} names no region and the AWS config has none",
                hint="add ?region=us-east-1 (or set AWS_REGION)",
            ) from None
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(f"AWS profile {self._profile!r} from {self.url} not found") from None

    def _ensure(self, client: Any, name: str) -> str:
        try:
            url: str = client.get_queue_url(QueueName=name)["QueueUrl"]
            return url
        except botocore.exceptions.ClientError as exc:
            if _code(exc) not in _MISSING_CODES:
                raise
        attributes = {"VisibilityTimeout": str(self.visibility_timeout)}
        if self.fifo:
            attributes["FifoQueue"] = "true"
        if name == self.queue:
            arn = client.get_queue_attributes(QueueUrl=self._dlq_url, AttributeNames=["QueueArn"])
            target = arn["Attributes"]["QueueArn"]
            redrive = {"deadLetterTargetArn": target, "maxReceiveCount": str(self.max_receive)}
            attributes["RedrivePolicy"] = json.dumps(redrive)
        created: str = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return created

    async def _call(self, action: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except _NO_CREDENTIALS:
            raise TransportAuthError(
                f"no AWS credentials for {self.url} ({action})",
                hint="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or an IAM role",
            ) from None
        except botocore.exceptions.ClientError as exc:
            code = _code(exc)
            if code in _AUTH_CODES or _status(exc) == 403:
                raise TransportAuthError(
                    f"SQS refused the credentials for {self.url} ({action}: {code})",
                    hint="check the AWS credentials and that they may use this queue",
                ) from None
            raise TransportError(f"SQS {action} failed for {self.url}: {exc}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise TransportError(
                f"cannot reach SQS for {self.url} ({action}): {exc}",
                hint="check region, endpoint_url and network; the call can be retried",
            ) from None

    # -- Transport ---------------------------------------------------------------------------

    async def _api(self, method: str, *, dlq: bool = False, **kwargs: Any) -> Any:
        """Call a boto3 SQS method on the queue (or its DLQ) off the event loop."""
        client = await self._ready()
        url = self._dlq_url if dlq else self._queue_url
        return await self._call(method, getattr(client, method), QueueUrl=url, **kwargs)

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        entries = [self._entry(str(i), out) for i, out in enumerate(batch)]
        for chunk in _chunks(entries):
            await self._send_chunk(chunk, {e["Id"]: batch[int(e["Id"])].id for e in chunk})

    def _entry(self, entry_id: str, out: OutgoingMessage) -> dict[str, Any]:
        body, encoding = _to_text(out.body)
        attributes = {"ce-id": _text_attr(out.id)}
        if encoding:
            attributes[_ENCODING] = _text_attr(encoding)
        entry = {"Id": entry_id, "MessageBody": body, "MessageAttributes": attributes}
        entry.update(self._fifo_fields(out.id))
        if len(out.body) > self.max_message_bytes or _size(entry) > SQS_LIMIT:
            raise PayloadTooLargeError(
                f"message {out.id} is {len(out.body)} bytes; SQS ({self.url}) accepts "
                f"{self.max_message_bytes}",
                hint="SQS caps a message at 256 KiB including attributes",
            )
        return entry

    def _fifo_fields(self, record_id: str) -> dict[str, Any]:
        if not self.fifo:
            return {}
        # One group per record: broker-side dedup without serialising unrelated records.
        return {"MessageGroupId": record_id, "MessageDeduplicationId": record_id[:128]}

    async def _send_chunk(self, chunk: list[dict[str, Any]], ids: dict[str, str]) -> None:
        pending = chunk
        failed: list[dict[str, Any]] = []
        try:
            # tenacity: entries that failed on the broker's side (not the sender's) are sent
            # again, only those, with a short backoff; the sender's faults fail at once.
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.2, max=1.0),
                retry=retry_if_exception_type(_BrokerFault),
                reraise=True,
            ):
                with attempt:
                    result = await self._api("send_message_batch", Entries=pending)
                    failed = result.get("Failed", [])
                    if not failed:
                        return
                    retry = {f["Id"] for f in failed if not f.get("SenderFault")}
                    if len(retry) < len(failed):
                        break
                    pending = [e for e in pending if e["Id"] in retry]
                    raise _BrokerFault
        except _BrokerFault:
            pass
        names = ", ".join(f"{ids[f['Id']]} ({f.get('Code', '?')})" for f in failed[:5])
        raise TransportError(f"SQS ({self.url}) refused {len(failed)} messages: {names}")

    async def consume(self, max_messages: int, timeout_s: float) -> list[Message]:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        taken: list[Message] = []
        while len(taken) < max_messages:
            # Long-poll only while nothing came yet; after that take what is ready now.
            wait = 0 if taken else max(0, min(20, int(deadline - time.monotonic())))
            result = await self._api(
                "receive_message",
                MaxNumberOfMessages=min(_BATCH_MAX, max_messages - len(taken)),
                WaitTimeSeconds=wait,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            got = [_message(raw) for raw in result.get("Messages", [])]
            taken += got
            if not got and (taken or time.monotonic() >= deadline):
                break
            if not got and wait == 0:
                await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return taken

    async def ack(self, message: Message) -> None:
        receipt = _h(message).receipt
        await self._api("delete_message", ReceiptHandle=receipt)

    async def ack_many(self, messages: Sequence[Message]) -> None:
        """``DeleteMessageBatch``, ten receipts a call (SQS's limit), a few calls at a time: a
        tenth of the requests (and of their cost) of one ``DeleteMessage`` each. Receipts SQS
        reports as not deleted are named in one error; those messages come back and are
        applied again idempotently."""
        chunks = [messages[i : i + _BATCH_MAX] for i in range(0, len(messages), _BATCH_MAX)]
        failed: list[str] = []
        for start in range(0, len(chunks), ACK_PARALLEL):
            results = await asyncio.gather(
                *(self._delete_batch(chunk) for chunk in chunks[start : start + ACK_PARALLEL])
            )
            failed += [name for names in results for name in names]
        if failed:
            raise TransportError(
                f"SQS ({self.url}) did not delete {len(failed)} acked messages: "
                + ", ".join(failed[:5])
            )

    async def _delete_batch(self, chunk: Sequence[Message]) -> list[str]:
        entries = [{"Id": str(i), "ReceiptHandle": _h(m).receipt} for i, m in enumerate(chunk)]
        result = await self._api("delete_message_batch", Entries=entries)
        return [
            f"{chunk[int(f['Id'])].id} ({f.get('Code', '?')})" for f in result.get("Failed", [])
        ]

    async def nack(self, message: Message, delay_s: float = 0.0) -> None:
        await self._api(
            "change_message_visibility",
            ReceiptHandle=_h(message).receipt,
            VisibilityTimeout=min(43_200, max(0, math.ceil(delay_s))),
        )

    async def dead_letter(self, message: Message, reason: str) -> None:
        handle = _h(message)
        attributes = {k: v for k, v in handle.attributes.items() if k != "reason"}
        attributes["reason"] = _text_attr(reason or "unspecified")
        await self._api(
            "send_message",
            dlq=True,
            MessageBody=handle.raw_body,
            MessageAttributes=attributes,
            **self._fifo_fields(message.id),
        )
        await self.ack(message)

    async def check(self) -> str:
        counts = []
        for dlq in (False, True):
            got = await self._api("get_queue_attributes", dlq=dlq, AttributeNames=_COUNTS)
            counts.append(got["Attributes"])
        main, dead = counts
        return (
            f"queue {self.queue}: {main[_COUNTS[0]]} waiting, {main[_COUNTS[1]]} in flight; "
            f"{self.dlq}: {dead[_COUNTS[0]]} waiting"
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: botocore.exceptions.ClientError) -> int:
    # Some SQS-compatible endpoints answer auth failures with an XML body boto3 cannot parse.
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _h(message: Message) -> _Handle:
    if not isinstance(message.handle, _Handle):
        raise TypeError(f"message {message.id} was not delivered by an SQS transport")
    return message.handle


def _message(raw: dict[str, Any]) -> Message:
    attrs: dict[str, Any] = raw.get("MessageAttributes") or {}
    flat = {k: str(v.get("StringValue", "")) for k, v in attrs.items()}
    body = raw["Body"]
    data = _body_bytes(body, flat.get(_ENCODING))
    return Message(
        id=flat.get("ce-id") or raw["MessageId"],
        body=data,
        delivery_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
        handle=_Handle(raw["ReceiptHandle"], body, attrs),
        attributes=flat,
    )


def _body_bytes(body: str, encoding: str | None) -> bytes:
    """The message's bytes; a body marked base64 that is not is passed on as sent (any client
    may send to the queue, and the service dead-letters what it cannot decode)."""
    if encoding == "base64":
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            pass
    return body.encode("utf-8", "surrogateescape")


def _text_attr(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _to_text(body: bytes) -> tuple[str, str]:
    """SQS bodies are XML-safe text: JSON envelopes pass as is, other bytes go base64."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), "base64"
    if any(_not_xml_char(c) for c in text):
        return base64.b64encode(body).decode(), "base64"
    return text, ""


def _not_xml_char(c: str) -> bool:
    o = ord(c)
    return not (o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or o > 0xFFFF)


def _size(entry: dict[str, Any]) -> int:
    size = len(entry["MessageBody"].encode())
    for name, attr in entry["MessageAttributes"].items():
        size += len(name) + len(attr["DataType"]) + len(attr["StringValue"].encode())
    return size


def _chunks(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """At most 10 entries and 256 KiB per SendMessageBatch call."""
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    total = 0
    for entry in entries:
        size = _size(entry)
        if current and (len(current) == _BATCH_MAX or total + size > SQS_LIMIT):
            chunks.append(current)
            current, total = [], 0
        current.append(entry)
        total += size
    if current:
        chunks.append(current)
    return chunks


def _whole(parsed: ParsedUrl, name: str, default: int, limits: tuple[int, int]) -> int:
    low, high = limits
    kind = "queue URL"
    return int(number_option(parsed, name, default, kind=kind, whole=True, low=low, high=high,
                             low_inclusive=True))  # fmt: skip


def from_url(url: str) -> SqsTransport:
    parsed = parse_url(
        url,
        kind="queue URL",
        authority="name",
        options=_KNOWN_PARAMS,
        example="sqs://signalroom-records?region=eu-west-1",
    )
    params = parsed.options
    parts = urlsplit(url)
    queue = (parts.netloc + parts.path).strip("/")
    base = queue.removesuffix(".fifo")
    valid = all((c.isascii() and c.isalnum()) or c in "-_" for c in base)
    if not base or len(queue) > 76 or not valid:
        raise ConfigError(
            f"queue name {queue!r} in {url} is not a valid SQS name",
            hint="letters, digits, - and _, at most 76 characters (+ optional .fifo)",
        )
    endpoint = params.get("endpoint_url") or None
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError(f"endpoint_url={endpoint!r} in queue URL {url} must be http(s)://")
    return SqsTransport(
        url,
        queue=queue,
        region=params.get("region") or None,
        endpoint_url=endpoint,
        profile=params.get("profile") or None,
        visibility_timeout=_whole(parsed, "visibility_timeout", 30, (0, 43_200)),
        max_receive=_whole(parsed, "max_receive", DEFAULT_MAX_RECEIVE, (1, 1000)),
    )
