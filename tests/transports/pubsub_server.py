"""An in-memory Pub/Sub server built from the ``pubsub.proto`` that google-cloud-pubsub ships.

It stands in for the Pub/Sub emulator (which needs Java and gcloud) so the tests can check how
the pubsub:// transport drives the real client library over real gRPC: which resources it
creates, what it publishes, how it pulls, acks, extends deadlines and dead-letters. It answers
the RPCs the transport uses, with the service's documented rules (NOT_FOUND, ALREADY_EXISTS,
ack deadline 10-600 s, 5-100 delivery attempts, forwarding to the dead-letter topic).

``generate_stubs(dir)`` compiles the proto with grpcio-tools under the Python package
``pubsub_wire`` (``google.pubsub`` is taken by the installed client). The server runs as its own
process, ``python pubsub_server.py STUB_DIR [--deny-project P]``, so the generated descriptors
never meet the client library's own in one descriptor pool; it prints ``PORT <n>`` when ready.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections import deque
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PACKAGE = "pubsub_wire"


def generate_stubs(out: Path) -> Path:
    """Compile pubsub.proto and schema.proto into ``out/pubsub_wire/v1``; return ``out``."""
    import grpc_tools
    from google.cloud import pubsub_v1
    from grpc_tools import protoc

    shipped = Path(pubsub_v1.__file__).parent / "proto"
    src = out / "proto"
    (src / PACKAGE / "v1").mkdir(parents=True, exist_ok=True)
    for name in ("pubsub.proto", "schema.proto"):
        text = (shipped / name).read_text()
        text = text.replace('import "google/pubsub/v1/', f'import "{PACKAGE}/v1/')
        (src / PACKAGE / "v1" / name).write_text(text)
    site = Path(pubsub_v1.__file__).parents[3]  # holds google/api/*.proto
    includes = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    args = ["protoc", f"-I{src}", f"-I{site}", f"-I{includes}", f"--python_out={out}"]
    args += [f"--grpc_python_out={out}"]
    args += [str(src / PACKAGE / "v1" / n) for n in ("pubsub.proto", "schema.proto")]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed on pubsub.proto")
    for pkg in (out / PACKAGE, out / PACKAGE / "v1"):
        (pkg / "__init__.py").touch()
    return out


@dataclass
class Sub:
    config: Any
    ready: deque[Any] = field(default_factory=deque)
    leased: dict[str, tuple[Any, float]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)


def serve(stub_dir: Path, deny_project: str | None) -> None:
    sys.path.insert(0, str(stub_dir))
    import grpc
    from pubsub_wire.v1 import pubsub_pb2 as pb
    from pubsub_wire.v1 import pubsub_pb2_grpc as rpc

    lock = threading.Condition()
    topics: dict[str, Any] = {}
    subs: dict[str, Sub] = {}
    ids = itertools.count(1)

    def guard(context: Any, name: str) -> None:
        if deny_project and name.startswith(f"projects/{deny_project}/"):
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"no access to {name}")

    def fan_out(topic: str, message: Any) -> None:
        for sub in subs.values():
            if sub.config.topic == topic:
                copy = pb.PubsubMessage()
                copy.CopyFrom(message)
                sub.ready.append(copy)
        lock.notify_all()

    def expire(sub: Sub) -> None:
        now = time.monotonic()
        for ack_id, (message, until) in list(sub.leased.items()):
            if until <= now:
                del sub.leased[ack_id]
                sub.ready.append(message)

    class Publisher(rpc.PublisherServicer):  # type: ignore[misc]
        def CreateTopic(self, request: Any, context: Any) -> Any:
            guard(context, request.name)
            with lock:
                if request.name in topics:
                    context.abort(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
                topics[request.name] = request
                return request

        def GetTopic(self, request: Any, context: Any) -> Any:
            guard(context, request.topic)
            with lock:
                if request.topic not in topics:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
                return topics[request.topic]

        def Publish(self, request: Any, context: Any) -> Any:
            guard(context, request.topic)
            with lock:
                if request.topic not in topics:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
                message_ids = []
                for message in request.messages:
                    message.message_id = str(next(ids))
                    message.publish_time.GetCurrentTime()
                    fan_out(request.topic, message)
                    message_ids.append(message.message_id)
                return pb.PublishResponse(message_ids=message_ids)

    class Subscriber(rpc.SubscriberServicer):  # type: ignore[misc]
        def CreateSubscription(self, request: Any, context: Any) -> Any:
            guard(context, request.name)
            with lock:
                if request.name in subs:
                    context.abort(grpc.StatusCode.ALREADY_EXISTS, "Subscription already exists")
                if request.topic not in topics:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
                if not request.ack_deadline_seconds:
                    request.ack_deadline_seconds = 10
                policy = request.dead_letter_policy
                if not 10 <= request.ack_deadline_seconds <= 600:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ack deadline out of range")
                if policy.dead_letter_topic:
                    if policy.dead_letter_topic not in topics:
                        context.abort(grpc.StatusCode.NOT_FOUND, "Dead letter topic not found")
                    if not 5 <= policy.max_delivery_attempts <= 100:
                        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad delivery attempts")
                subs[request.name] = Sub(request)
                return request

        def GetSubscription(self, request: Any, context: Any) -> Any:
            guard(context, request.subscription)
            with lock:
                if request.subscription not in subs:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")
                return subs[request.subscription].config

        def Pull(self, request: Any, context: Any) -> Any:
            guard(context, request.subscription)
            with lock:
                sub = subs.get(request.subscription)
                if sub is None:
                    context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")
                policy = sub.config.dead_letter_policy
                while True:
                    expire(sub)
                    received = []
                    while sub.ready and len(received) < max(1, request.max_messages):
                        message = sub.ready.popleft()
                        count = sub.attempts.get(message.message_id, 0) + 1
                        sub.attempts[message.message_id] = count
                        if policy.dead_letter_topic and count > policy.max_delivery_attempts:
                            fan_out(policy.dead_letter_topic, message)
                            continue
                        ack_id = f"{request.subscription}#{next(ids)}"
                        until = time.monotonic() + sub.config.ack_deadline_seconds
                        sub.leased[ack_id] = (message, until)
                        attempt = count if policy.dead_letter_topic else 0
                        received.append(
                            pb.ReceivedMessage(
                                ack_id=ack_id, message=message, delivery_attempt=attempt
                            )
                        )
                    left = context.time_remaining()
                    if received or (left is not None and left < 0.1):
                        return pb.PullResponse(received_messages=received)
                    lock.wait(timeout=0.05)

        def Acknowledge(self, request: Any, context: Any) -> Any:
            guard(context, request.subscription)
            with lock:
                sub = subs.get(request.subscription)
                for ack_id in request.ack_ids if sub else ():
                    sub.leased.pop(ack_id, None)  # type: ignore[union-attr]
            return _empty()

        def ModifyAckDeadline(self, request: Any, context: Any) -> Any:
            guard(context, request.subscription)
            with lock:
                sub = subs.get(request.subscription)
                for ack_id in request.ack_ids if sub else ():
                    leased = sub.leased.get(ack_id)  # type: ignore[union-attr]
                    if leased is not None:
                        until = time.monotonic() + request.ack_deadline_seconds
                        sub.leased[ack_id] = (leased[0], until)  # type: ignore[union-attr]
                        expire(sub)  # type: ignore[arg-type]
                lock.notify_all()
            return _empty()

    def _empty() -> Any:
        from google.protobuf import empty_pb2

        return empty_pb2.Empty()

    limit = 32 * 1024 * 1024
    options = [("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options)
    rpc.add_PublisherServicer_to_server(Publisher(), server)
    rpc.add_SubscriberServicer_to_server(Subscriber(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("stub_dir", type=Path)
    parser.add_argument("--deny-project")
    ns = parser.parse_args()
    serve(ns.stub_dir, ns.deny_project)
