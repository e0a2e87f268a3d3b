"""The package's import graph (read from the source, see ``imports.py``) keeps the stage order.

Data flows one way: collect → outbox → transports → service → destinations. A stage never
imports one downstream of it in the direction of its callers (transports ← outbox ← collect:
the queue knows nothing of the outbox, the outbox nothing of the recorder), the service reaches
destinations but never the outbox, and only the composition module (``embedded``), the CLI and
the benchmarks that measure the service in-process import the service.
"""

from __future__ import annotations

import pytest

from tests.architecture.imports import cycles, import_graph, reaches

GRAPH = import_graph()

#: Modules allowed to import the service: the composition module, the CLI, and the benchmarks
#: (they run the consumer in-process to time it).
SERVICE_USERS = ("signalroom.embedded", "signalroom.cli", "signalroom.bench")


def _is_cli(module: str) -> bool:
    return (
        module in ("signalroom.cli", "signalroom.cli_common", "signalroom.clidoc")
        or module.startswith("signalroom.commands")
        or module.endswith(".commands")
        or module.endswith(".__main__")
        or module == "signalroom"
    )


def test_graph_is_read() -> None:
    assert "signalroom.destinations.registry" in GRAPH
    assert "signalroom.seam" in GRAPH["signalroom.destinations.registry"]


def test_no_import_circles() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    ("upstream", "downstream"),
    [
        ("signalroom.transports", "signalroom.outbox"),
        ("signalroom.transports", "signalroom.collect"),
        ("signalroom.outbox", "signalroom.collect"),
        ("signalroom.transports", "signalroom.service"),
        ("signalroom.outbox", "signalroom.service"),
        ("signalroom.destinations", "signalroom.service"),
        ("signalroom.destinations", "signalroom.outbox"),
        ("signalroom.service", "signalroom.outbox"),
        ("signalroom.service", "signalroom.collect"),
    ],
)
def test_a_stage_never_reaches_the_wrong_way(upstream: str, downstream: str) -> None:
    for module in sorted(GRAPH):
        if module.startswith(upstream) and not _is_cli(module):
            path = reaches(GRAPH, module, downstream)
            assert path == [], " → ".join(path)


def test_the_service_reaches_destinations() -> None:
    assert reaches(GRAPH, "signalroom.service.runner", "signalroom.destinations")


def test_only_composition_and_cli_import_the_service() -> None:
    importers = sorted(
        module
        for module, imported in GRAPH.items()
        if not module.startswith("signalroom.service")
        and any(i.startswith("signalroom.service") for i in imported)
    )
    stray = [m for m in importers if not m.startswith(SERVICE_USERS) and not _is_cli(m)]
    assert stray == []
    assert "signalroom.embedded" in importers
