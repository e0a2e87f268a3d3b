"""Every queue and warehouse URL goes through one strict parser: each mistake an operator can
make is refused with a one-line error naming the part of the URL that is wrong."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from signalroom.destinations.warehouse import duckdb_path, open_warehouse
from signalroom.errors import ConfigError
from signalroom.transports import open_transport
from signalroom.urls import parse_url, redact_url

BAD_QUEUES = [
    # one slash: was read as a path on localhost:6379
    ("redis:/127.0.0.1:6399/0?stream=typo1", "'redis:' must be followed by '//'"),
    # a database that is not a number: was silently DB 0
    ("redis://127.0.0.1:6379/abc", "database '/abc' must be a number"),
    # a port that is not a number: was "unexpected ValueError … report it"
    ("redis://127.0.0.1:abc/0", "port 'abc' is not a whole number"),
    ("redis://127.0.0.1:0/0", "port '0'"),
    ("redis://127.0.0.1:70000/0", "port '70000'"),
    ("redis://127.0.0.1:６３７９/0", "port '６３７９'"),
    ("redis://[::1/0", "malformed"),
    ("redis://127.0.0.1:6379/0?stream=a&stream=b", "option 'stream' is given twice"),
    ("redis://127.0.0.1:6379/0?strem=x", "unknown option 'strem'"),
    ("redis://127.0.0.1:6379/0?lease=soon", "lease='soon'"),
    ("redis://127.0.0.1:6379/0?maxlen=-4", "maxlen='-4'"),
    ("redis://127.0.0.1:6379/0?keep_acked=perhaps", "keep_acked='perhaps'"),
    ("redis://127.0.0.1:6379/0#frag", "'#'"),
    ("rediss:/h/0", "'rediss:' must be followed by '//'"),
    # spool bypassed the option parser: leese was accepted and ignored
    ("spool:///x?leese=5", "unknown option 'leese'"),
    ("spool:///x?max_bytes=1.5", "max_bytes='1.5'"),
    ("spool:/x", "'spool:' must be followed by '//'"),
    ("nats:/127.0.0.1:4222/a", "'nats:' must be followed by '//'"),
    ("nats://127.0.0.1:42x2/a", "port '42x2'"),
    ("nats://[::1/a", "malformed"),
    ("sqs://[q", "malformed"),
    ("nats://127.0.0.1:4222/a?durabel=x", "unknown option 'durabel'"),
    ("sqs:/records", "'sqs:' must be followed by '//'"),
    ("sqs://user@records", "plain name"),
    ("sqs://records?regoin=eu-west-1", "unknown option 'regoin'"),
    ("sqs://records?max_receive=²", "max_receive='²'"),
    ("pubsub://proj:1/topic", "plain name"),
    ("pubsub://proj/topic?ack_deadline=١٠", "ack_deadline="),
    ("memory://q?x=1", "unknown option 'x'"),
    ("redis://127.0.0.1:6379/0?stream", "malformed query 'stream'"),
]


@pytest.mark.parametrize(("url", "part"), BAD_QUEUES)
def test_a_malformed_queue_url_is_refused_naming_the_part(url: str, part: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(part)) as info:
        open_transport(url)
    message = str(info.value)
    assert "\n" not in message and message.startswith("queue URL ")
    assert info.value.hint and "e.g." in info.value.hint


BAD_WAREHOUSES = [
    ("duckdb:/tmp/w.duckdb", "'duckdb:' must be followed by '//'"),
    ("duckdb:///tmp/w.duckdb?mode=ro", "unknown option 'mode' (known options: none)"),
    ("postgresql://u@127.0.0.1:pg/db", "port 'pg'"),
    ("postgresql:/127.0.0.1/db", "'postgresql:' must be followed by '//'"),
    ("postgresql://127.0.0.1/db?sslmdoe=require", "unknown option 'sslmdoe'"),
    ("postgresql://h1:5432,h2:x/db", "port 'x'"),
]


@pytest.mark.parametrize(("url", "part"), BAD_WAREHOUSES)
def test_a_malformed_warehouse_url_is_refused_naming_the_part(url: str, part: str) -> None:
    from signalroom.dashboard.reader import WarehouseTarget

    for opener in (open_warehouse, WarehouseTarget.parse):  # the writer and the dashboard
        with pytest.raises(ConfigError, match=re.escape(part)) as info:
            opener(url)
        assert str(info.value).startswith("warehouse URL ")


def test_good_urls_keep_working(tmp_path: Path) -> None:
    redis = open_transport("redis://u:p%40ss@127.0.0.1:6390/3?stream=s&lease=2.5&keep_acked=1")
    assert (redis.stream, redis.lease_ms, redis.keep_acked) == ("s", 2500, True)  # type: ignore[attr-defined]
    assert "p%40ss" not in redis.url
    assert open_transport("redis://127.0.0.1/").url == "redis://127.0.0.1/"
    assert open_transport("redis://127.0.0.1/0?stream=s&").stream == "s"  # type: ignore[attr-defined]
    spool = open_transport(f"spool://{tmp_path}?queue=q&lease=1&max_bytes=10")
    assert (spool.queue, spool.max_message_bytes) == ("q", 10)  # type: ignore[attr-defined]
    assert open_transport("nats://[::1]:4222/a.b").url == "nats://[::1]:4222/a.b"
    assert duckdb_path(f"duckdb://{tmp_path}/w.duckdb") == tmp_path / "w.duckdb"
    parsed = parse_url(
        "postgresql://me:secret@h1:5432,h2/db?sslmode=require",
        kind="warehouse URL",
        authority="hosts",
        options={"sslmode"},
        example="postgresql://h/db",
    )
    assert parsed.hosts == (("h1", 5432), ("h2", None))
    assert (parsed.username, parsed.password, parsed.options) == ("me", "secret", {"sslmode": "require"})  # fmt: skip
    assert "secret" not in parsed.shown


def test_passwords_never_appear_in_the_error() -> None:
    with pytest.raises(ConfigError) as info:
        open_transport("redis://user:hunter2@127.0.0.1:abc/0")
    assert "hunter2" not in str(info.value) and "***" in str(info.value)
    assert "hunter2" not in redact_url("redis://u:hunter2@[::1/0")


def test_the_service_command_names_the_url_part_in_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "service", "--until-idle", "--home", str(tmp_path),
         "--queue", "redis://127.0.0.1:abc/0", "--warehouse", f"duckdb://{tmp_path}/w.duckdb"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "report it" not in proc.stderr
    assert "port 'abc' is not a whole number" in proc.stderr


def test_doctor_names_the_malformed_parts(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "signalroom", "doctor", "--home", str(tmp_path),
         "--queue", "redis://u:hunter2@[::1/0", "--warehouse", "postgresql://u@h:pg/db"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = proc.stdout + proc.stderr
    assert "malformed authority" in out and "port 'pg' is not a whole number" in out
    assert "hunter2" not in out
