"""Configured secrets never reach a log, the console, a report or a webhook body.

A demo runs with every kind of secret set: the dashboard token, a webhook signing secret, the
hash key, AWS keys for an SQS queue (moto stands in for SQS on a free port), a PostgreSQL
password in the warehouse URL and a Redis password in a queue URL that ``doctor`` checks.
Then every output of the run and every file of the home (except the configuration itself) is
searched for each secret.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from moto.server import ThreadedMotoServer

from tests.reliability.capture import CaptureServer
from tests.reliability.servers import PostgresDatabase, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.contract]


def _secret(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


@pytest.fixture
def moto() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    password = _secret("redispw")
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--requirepass", password, "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port, password=password, socket_connect_timeout=0.2)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    wait_for(up, 10, "redis-server")
    client.close()
    yield port, password
    proc.kill()
    proc.wait(10)


def test_no_secret_in_logs_console_or_files(
    home: Path, moto: str, locked_redis: tuple[int, str]
) -> None:
    database = PostgresDatabase()
    database.create()
    pg_password = _secret("pgpw")  # trust auth accepts it; it still travels in the URL
    warehouse = database.url.replace("postgres@", f"postgres:{pg_password}@")
    webhook_key = base64.b64encode(secrets.token_bytes(24)).decode()
    found: dict[str, str] = {
        "dashboard token": _secret("dash"),
        "hash key": _secret("hashkey"),
        "aws secret": _secret("awssecret"),
        "postgres password": pg_password,
        "redis password": locked_redis[1],
        "webhook secret": webhook_key,
        "calcom key": _secret("calkey"),
    }
    env = {
        **os.environ,
        "SIGNALROOM_HOME": str(home),
        "SIGNALROOM_DASHBOARD__TOKEN": found["dashboard token"],
        "SIGNALROOM_PRIVACY__HASH_KEY": found["hash key"],
        "SIGNALROOM_BOOKING__API_KEY": found["calcom key"],
        "AWS_ACCESS_KEY_ID": "AKIAFAKESECRETSTEST",
        "AWS_SECRET_ACCESS_KEY": found["aws secret"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    queue = f"sqs://signalroom-secrets-{secrets.token_hex(4)}?region=us-east-1&endpoint_url={moto}"
    redis_queue = f"redis://:{locked_redis[1]}@127.0.0.1:{locked_redis[0]}/0?stream=secrets"
    outputs: list[str] = []

    def run(*args: str, ok: bool = True) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "signalroom", *args, "--home", str(home)],
            capture_output=True, text=True, timeout=180, check=False, env=env,
        )  # fmt: skip
        outputs.append(proc.stdout + proc.stderr)
        if ok:
            assert proc.returncode == 0, proc.stderr

    try:
        with CaptureServer() as hook:
            (home / "signalroom.toml").write_text(
                f'[[destinations.webhooks]]\nurl = "{hook.url}"\nsecret = "whsec_{webhook_key}"\n'
                'name = "capture"\n'
            )
            run("demo", "--sessions", "2", "--queue", queue, "--warehouse", warehouse)
            run("doctor", "--json", ok=False)
            run("doctor", "--queue", redis_queue, ok=False)
            run("outbox", "status")
            run("service", "--until-idle")
            assert hook.bodies, "the webhook received nothing"
        assert "sessions" in outputs[0]  # the demo really ran and printed its summary
    finally:
        database.drop()

    files = [
        p for p in home.rglob("*") if p.is_file() and p.name not in ("signalroom.toml", "hash.key")
    ]
    assert any(p.suffix == ".log" for p in files), "the run wrote no log file"
    texts = {str(p.relative_to(home)): p.read_bytes().decode("utf-8", "replace") for p in files}
    texts |= {f"output {i}": out for i, out in enumerate(outputs)}
    texts |= {f"webhook {i}": b.decode() for i, b in enumerate(hook.bodies)}
    leaks = [
        f"{name} in {where}"
        for where, text in texts.items()
        for name, value in found.items()
        if value in text
    ]
    assert leaks == []
