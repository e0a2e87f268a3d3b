"""The embedded spool queue: the contract, URL parsing, and two consumer processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from signalroom.errors import ConfigError
from signalroom.transports.base import OutgoingMessage, Transport
from signalroom.transports.registry import open_transport
from signalroom.transports.spool import SpoolTransport, from_url
from tests.transports.contract import TransportContract, make_body


class TestSpoolContract(TransportContract):
    lease_s = 1.0

    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path / "spool"

    async def make_transport(self, name: str) -> Transport:
        return SpoolTransport(self.folder, queue=name, lease_s=self.lease_s or 30, poll_s=0.02)

    async def dead_letters(self, transport: Transport, name: str) -> list[tuple[bytes, str]]:
        dlq = SpoolTransport(self.folder, queue=f"{name}.dlq")
        try:
            found = []
            while batch := await dlq.consume(100, timeout_s=0):
                found += [(m.body, m.attributes["reason"]) for m in batch]
            return found
        finally:
            await dlq.close()


def test_url_picks_folder_queue_and_limits(tmp_path: Path) -> None:
    transport = open_transport(f"spool://{tmp_path}?queue=calls&lease=5&max_bytes=2048")
    assert isinstance(transport, SpoolTransport)
    assert (transport.directory, transport.queue) == (tmp_path, "calls")
    assert (transport.lease_s, transport.max_message_bytes) == (5.0, 2048)


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("spool://relative/dir", "names a host 'relative'"),
        ("spool://host/abs/dir", "names a host 'host'"),
        ("spool:///srv/spool?lease=soon", "lease='soon'"),
        ("spool:relative/dir", "'spool:' must be followed by '//'"),
        ("spool:///srv/spool?leese=5", "unknown option 'leese'"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url: str, part: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(part)):
        from_url(url)


async def test_unusable_folder_raises_transport_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    transport = SpoolTransport(blocker / "spool")
    with pytest.raises(Exception, match="spool") as info:
        await transport.publish([OutgoingMessage(id="a", body=b"{}")])
    assert getattr(info.value, "retryable", False) is True


async def test_check_describes_the_queue(tmp_path: Path) -> None:
    transport = SpoolTransport(tmp_path)
    await transport.publish([OutgoingMessage(id="a", body=b"{}")])
    assert await transport.check() == "queue records: 1 messages (1 ready), 0 dead letters"
    await transport.close()


_CONSUMER = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from signalroom.transports.spool import SpoolTransport

    async def main() -> None:
        t = SpoolTransport(Path(sys.argv[1]), lease_s=60, poll_s=0.01)
        seen, idle = [], 0
        while idle < 10:
            batch = await t.consume(7, timeout_s=0.1)
            idle = 0 if batch else idle + 1
            for m in batch:
                seen.append(m.id)
                await t.ack(m)
        print(json.dumps(seen))

    asyncio.run(main())
    """
)


async def test_two_consumer_processes_never_share_a_message(tmp_path: Path) -> None:
    producer = SpoolTransport(tmp_path)
    await producer.publish([OutgoingMessage(id=f"m{i}", body=make_body(i)) for i in range(600)])
    await producer.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CONSUMER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert set(outputs[0]).isdisjoint(outputs[1])
    assert sorted(outputs[0] + outputs[1]) == sorted(f"m{i}" for i in range(600))
