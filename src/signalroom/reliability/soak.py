"""The soak: many sessions through outbox → Redis → several services → warehouse, under faults.

Sessions are synthetic :class:`~signalroom.record.SessionRecord`\\ s (a checkpoint, then the
final record, per session) built straight from the record models: running thousands of LiveKit
sessions would measure the simulator, not the pipeline. Everything after the record is real:
the durable outbox with its background :class:`~signalroom.outbox.Forwarder`, a Redis stream,
``signalroom service`` processes, and the warehouse.

While records flow, faults are injected at random (seeded): a service process is SIGKILLed and
restarted, the broker is paused (``CLIENT PAUSE … ALL``, which blocks every client of that Redis
server for a moment — use a Redis of its own), and batches of malformed messages are written to
the stream. At the end every count is taken from the stores themselves (see
:class:`SoakResult`); ``lost`` must be 0.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from signalroom.config import OutboxSettings
from signalroom.errors import ConfigError
from signalroom.record import (
    ConversationNote,
    DiscoveredSignals,
    MetricsSummary,
    SessionRecord,
    ToolCall,
)
from signalroom.urls import redact_url

#: Prefix of the ids of malformed messages, so dead letters can be told apart from records.
MALFORMED_ID = "soak-malformed-"
_STALE = re.compile(r"^skipped (\d+) stale records")
_INDUSTRIES = ("legal", "healthcare", "finance", "education", "retail", "technology")


@dataclass(slots=True)
class SoakConfig:
    sessions: int
    queue_url: str
    warehouse_url: str
    work_dir: Path
    services: int = 2
    faults: bool = True
    #: Sessions appended per second (the agent side's pace).
    rate: float = 200.0
    seed: int = 7
    #: Seconds between faults (each wait drawn uniformly from this range).
    fault_every_s: tuple[float, float] = (1.5, 3.0)
    timeout_s: float = 900.0


@dataclass(slots=True)
class SoakResult:
    """Counts of one soak run; every figure is read back from the stores at the end."""

    sessions: int = 0
    #: Record versions appended to the outbox (a checkpoint and a final record per session).
    versions_appended: int = 0
    #: Stream entries the outbox added (a resend after a failed confirmation counts twice).
    versions_published: int = 0
    malformed_sent: int = 0
    #: Sessions whose final record is in the warehouse, exactly one row each.
    delivered: int = 0
    #: Messages the warehouse absorbed without a change: redeliveries after a killed service
    #: and checkpoints that arrived after their final record (the services' own log lines).
    duplicates_absorbed: int = 0
    dead_lettered_malformed: int = 0
    dead_lettered_records: int = 0
    lost: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    services: int = 0
    queue: str = ""
    warehouse: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.delivered == self.sessions
            and self.dead_lettered_malformed == self.malformed_sent
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


# -- records ------------------------------------------------------------------------------------
def synthetic_sessions(
    count: int, run_id: str, seed: int
) -> Iterator[tuple[SessionRecord, SessionRecord]]:
    """``count`` (checkpoint, final) pairs with varied signals, tools and lengths."""
    rng = random.Random(seed)
    base = datetime.now(UTC) - timedelta(hours=1)
    for i in range(count):
        start = base + timedelta(milliseconds=i * 50)
        duration = rng.uniform(30, 900)
        signals = DiscoveredSignals(
            team_size=rng.choice([None, rng.randint(1, 500)]),
            monthly_volume=rng.choice([None, float(rng.randint(10, 5000))]),
            integration_needs=rng.sample(
                ["salesforce", "hubspot", "api", "slack"], rng.randint(0, 2)
            ),
            urgency=rng.choice([None, "low", "medium", "high"]),
            industry=rng.choice([None, *_INDUSTRIES]),
        )
        tools = [
            ToolCall(
                tool="search_knowledge",
                query=f"question {j} about templates",
                timestamp=start + timedelta(seconds=10 * (j + 1)),
                results_found=True,
                total_results=rng.randint(0, 5),
            )
            for j in range(rng.randint(0, 3))
        ]
        common: dict[str, Any] = {
            "session_id": f"soak-{run_id}-{i:06d}",
            "start_time": start,
            "agent_name": "signalroom-soak",
            "discovered_signals": signals,
            "tool_calls": tools,
            "metrics_summary": MetricsSummary(llm_tokens=rng.randint(200, 6000)),
            "user_turns": rng.randint(1, 20),
        }
        checkpoint = SessionRecord(**common, revision=1, complete=False)
        final = SessionRecord(
            **common,
            revision=2,
            complete=True,
            end_time=start + timedelta(seconds=duration),
            duration_seconds=duration,
            close_reason="user_initiated",
            conversation_notes=[ConversationNote(text="wants a demo next week")],
        )
        yield checkpoint, final


def malformed_bodies(rng: random.Random, count: int) -> list[bytes]:
    """Messages a consumer must refuse: not JSON, not an envelope, bad record, unknown major."""
    kinds: list[Callable[[], bytes]] = [
        lambda: secrets.token_bytes(rng.randint(1, 400)),
        lambda: b'{"specversion":"1.0","id":"x","type":"signalroom.session.v1","data":{',
        lambda: json.dumps({"hello": "world"}).encode(),
        lambda: _envelope({"session_id": 42, "start_time": "yesterday"}),
        lambda: _envelope(
            {"schema_version": "9.0", "session_id": "s", "start_time": "2025-01-01T00:00:00"}
        ),
        lambda: b"[" * 5000 + b"]" * 5000,
        # Records that look valid but no store could hold: each must be dead-lettered alone.
        lambda: _envelope({**_PLAIN, "start_time": "0001-01-01T00:00:00+05:00"}),
        lambda: _envelope({**_PLAIN, "end_time": "9999-12-31T23:59:59-05:00"}),
        lambda: _envelope({**_PLAIN, "schema_version": rng.choice(["².0", "١.0", "𝟏.0"])}),
        lambda: _envelope({**_PLAIN, "added_later": "\udfff"}),  # a lone surrogate
        lambda: _envelope({**_PLAIN, "metadata": {"ratio": "@"}}).replace(b'"@"', b"NaN"),
        lambda: b"\xff\xfe" + _envelope(_PLAIN),
    ]
    return [rng.choice(kinds)() for _ in range(count)]


#: A record that is valid as it is; the malformed kinds above each change one thing.
_PLAIN: dict[str, Any] = {"session_id": "soak-plain", "start_time": "2025-01-01T00:00:00"}


def _envelope(data: dict[str, Any]) -> bytes:
    event = {"specversion": "1.0", "id": "m", "type": "signalroom.session.v1", "data": data}
    return json.dumps(event).encode()


# -- services -----------------------------------------------------------------------------------
class ServiceProcess:
    """One ``signalroom service`` process with its own home (its own log file)."""

    def __init__(self, index: int, config: SoakConfig, queue_url: str) -> None:
        self.home = config.work_dir / f"service-{index}"
        self.home.mkdir(parents=True, exist_ok=True)
        self.args = [
            sys.executable,
            "-m",
            "signalroom",
            "service",
            "--home",
            str(self.home),
            "--queue",
            queue_url,
            "--warehouse",
            config.warehouse_url,
            "--health-port",
            "0",
            "--json",
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.outputs: list[dict[str, int]] = []

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "service.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "SIGNALROOM_HOME": str(self.home),
            # Small batches and quick retries, so faults land mid-batch and recover quickly.
            "SIGNALROOM_SERVICE__BATCH_SIZE": "100",
            "SIGNALROOM_SERVICE__POLL_S": "0.2",
            "SIGNALROOM_SERVICE__RETRY_BASE_S": "0.2",
            "SIGNALROOM_SERVICE__RETRY_MAX_S": "2",
            "SIGNALROOM_SERVICE__MAX_ATTEMPTS": "20",
        }
        self.proc = subprocess.Popen(
            self.args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate(timeout=10)
        lines = out.decode(errors="replace").strip().splitlines()
        if lines and lines[-1].startswith("{"):
            self.outputs.append(json.loads(lines[-1]))
        self.proc = None

    def absorbed(self) -> int:
        """Stale or duplicate messages this service skipped, from its own log lines."""
        if not self.log_file.exists():
            return 0
        total = 0
        for line in self.log_file.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line).get("event", "")
            except ValueError:
                continue
            match = _STALE.match(event) if isinstance(event, str) else None
            if match:
                total += int(match.group(1))
        return total


# -- the run ------------------------------------------------------------------------------------
def run_soak(config: SoakConfig, progress: Callable[[str, int], None] | None = None) -> SoakResult:
    """Run the soak; ``progress(phase, delivered)`` is called as work advances."""
    import redis

    from signalroom.destinations.warehouse import open_warehouse
    from signalroom.outbox import Forwarder, Outbox

    queue_url, stream, own_stream = _soak_queue(config.queue_url)
    _check_warehouse(config)
    client = redis.Redis.from_url(_connection_url(queue_url), socket_timeout=30)
    if not own_stream and client.exists(stream):
        raise ConfigError(
            f"stream {stream!r} already exists; the soak counts need a fresh one",
            hint="leave stream= out of the URL to get a new stream per run",
        )
    warehouse = open_warehouse(config.warehouse_url)
    run_id = secrets.token_hex(4)
    rng = random.Random(config.seed)
    result = SoakResult(sessions=config.sessions, services=config.services)
    result.queue, result.warehouse = redact_url(queue_url), redact_url(config.warehouse_url)
    config.work_dir.mkdir(parents=True, exist_ok=True)
    outbox = Outbox(
        config.work_dir / f"outbox-{run_id}.sqlite",
        OutboxSettings(
            synchronous="NORMAL", forward_interval_s=0.2, batch_size=200, max_attempts=50
        ),
    )
    forwarder = Forwarder(outbox, queue_url)
    services = [ServiceProcess(i + 1, config, queue_url) for i in range(config.services)]
    faults: Counter[str] = Counter()
    started = time.monotonic()
    deadline = started + config.timeout_s
    try:
        for service in services:
            service.start()
        forwarder.start()
        pending_faults = _fault_plan(rng) if config.faults else []
        next_fault = time.monotonic() + rng.uniform(*config.fault_every_s)

        def maybe_fault() -> None:
            nonlocal next_fault
            if not config.faults or time.monotonic() < next_fault:
                return
            kind = pending_faults.pop(0) if pending_faults else _fault_plan(rng)[0]
            result.malformed_sent += _inject(kind, rng, client, stream, services)
            faults[kind] += 1
            next_fault = time.monotonic() + rng.uniform(*config.fault_every_s)

        interval = 1.0 / config.rate
        # A call's final record comes about half a second after its checkpoint, so many
        # checkpoints are sent first and may reach a service after their final record.
        lag = max(1, int(config.rate / 2))
        finals: deque[SessionRecord] = deque()
        for i, (checkpoint, final) in enumerate(
            synthetic_sessions(config.sessions, run_id, config.seed)
        ):
            outbox.append(checkpoint)
            finals.append(final)
            if len(finals) > lag:
                outbox.append(finals.popleft())
            forwarder.wake()
            maybe_fault()
            if progress is not None and i % 100 == 0:
                progress("appending", i)
            time.sleep(max(0.0, started + (i + 1) * interval - time.monotonic()))
        while finals:
            outbox.append(finals.popleft())
        result.versions_appended = 2 * config.sessions
        forwarder.wake()
        # Keep injecting while the backlog drains, then let the pipeline settle.
        while time.monotonic() < deadline:
            done = _settled(outbox, client, stream)
            if progress is not None:
                progress("draining", warehouse.count("sessions"))
            if done and not pending_faults:
                break
            maybe_fault()
            time.sleep(0.3)
        forwarder.stop(10.0)
        for service in services:
            service.stop()
        result.faults = dict(faults)
        result.elapsed_s = round(time.monotonic() - started, 1)
        _count(result, warehouse, client, stream, run_id, services)
        result.versions_published = _entries_added(client, stream) - result.malformed_sent
    finally:
        forwarder.stop(1.0)
        _close(warehouse)
        for service in services:
            service.kill()
        outbox.close()
        if own_stream:
            client.delete(stream, f"{stream}.dlq")
        client.close()
    return result


def _close(warehouse: Any) -> None:
    import asyncio

    asyncio.run(warehouse.close())


def _fault_plan(rng: random.Random) -> list[str]:
    """Each kind once, in random order: a short run still sees every fault."""
    plan = ["kill_service", "broker_pause", "malformed_batch"]
    rng.shuffle(plan)
    return plan


def _inject(
    kind: str, rng: random.Random, client: Any, stream: str, services: list[ServiceProcess]
) -> int:
    """Apply one fault; return how many malformed messages it wrote."""
    if kind == "kill_service":
        victim = rng.choice(services)
        victim.kill()
        time.sleep(rng.uniform(0.2, 1.0))
        victim.start()
        return 0
    if kind == "broker_pause":
        client.execute_command("CLIENT", "PAUSE", int(rng.uniform(0.5, 2.0) * 1000), "ALL")
        return 0
    bodies = malformed_bodies(rng, rng.randint(3, 10))
    pipe = client.pipeline(transaction=False)
    for body in bodies:
        pipe.xadd(stream, {b"id": f"{MALFORMED_ID}{secrets.token_hex(6)}", b"body": body})
    pipe.execute()
    return len(bodies)


def _settled(outbox: Any, client: Any, stream: str) -> bool:
    """Nothing pending in the outbox, nothing left in the stream, nothing unacked."""
    status = outbox.status()
    if status.pending or outbox.buffered:
        return False
    if client.xlen(stream):
        return False
    groups = client.xinfo_groups(stream) if client.exists(stream) else []
    return all(int(g["pending"]) == 0 for g in groups)


def _count(
    result: SoakResult,
    warehouse: Any,
    client: Any,
    stream: str,
    run_id: str,
    services: list[ServiceProcess],
) -> None:
    prefix = f"soak-{run_id}-"
    finals = {
        r.session_id
        for r in warehouse.iter_records()
        if r.session_id.startswith(prefix) and r.complete and r.revision == 2
    }
    result.delivered = len(finals)
    for _entry, fields in client.xrange(f"{stream}.dlq", "-", "+"):
        original = fields.get(b"original_id", b"").decode()
        if original.startswith(MALFORMED_ID):
            result.dead_lettered_malformed += 1
        else:
            result.dead_lettered_records += 1
    result.duplicates_absorbed = sum(s.absorbed() for s in services)
    result.lost = result.sessions - result.delivered - result.dead_lettered_records


def _entries_added(client: Any, stream: str) -> int:
    if not client.exists(stream):
        return 0
    info = client.xinfo_stream(stream)
    return int(info.get("entries-added", info.get("length", 0)))


# -- URLs ---------------------------------------------------------------------------------------
def _soak_queue(url: str) -> tuple[str, str, bool]:
    """The queue URL to use, its stream, and whether the stream is the soak's own."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigError(
            f"the soak needs a redis:// queue, got {parts.scheme}://",
            hint="signalroom soak --queue redis://127.0.0.1:6379/0",
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    own = "stream" not in query
    if own:
        query["stream"] = f"signalroom.soak.{secrets.token_hex(4)}"
    # A killed service's messages come back after the lease: keep it short for the soak.
    query.setdefault("lease", "5")
    new = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return new, query["stream"], own


def _check_warehouse(config: SoakConfig) -> None:
    scheme = urlsplit(config.warehouse_url).scheme
    if config.services > 1 and scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            f"{config.services} services need a PostgreSQL warehouse (DuckDB has one writer)",
            hint="--warehouse postgresql://user@host:5432/db, or --services 1",
        )


def _connection_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
