"""Which module implements each warehouse URL scheme and each destination name.

A warehouse is picked by its URL's scheme (``duckdb://``, ``postgresql://``). A destination is
a table of ``signalroom.toml`` named after its backend (``[destinations.salesforce]``, or
``[[destinations.webhooks]]`` for a backend configured as a list); its module exposes a
:class:`DestinationBackend` naming its settings model and how to build it. Adding a backend is
one line here (see docs/architecture.md); nothing else in the package names backends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError

from signalroom.errors import ConfigError
from signalroom.seam import Registry

if TYPE_CHECKING:
    from signalroom.destinations.base import Destination
    from signalroom.destinations.warehouse import Warehouse

WAREHOUSES: Registry[Callable[[str], Warehouse]] = Registry(
    "warehouse URL scheme",
    {
        "duckdb": "signalroom.destinations.duckdb:DuckDBWarehouse",
        "postgresql": "signalroom.destinations.postgres:PostgresWarehouse",
        "postgres": "signalroom.destinations.postgres:PostgresWarehouse",
    },
    hint="use duckdb:///path/warehouse.duckdb or postgresql://user@host:5432/db",
)


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a destination may need beyond its own settings."""

    #: Pseudonymises identities for destinations that must not see them raw.
    hash_key: bytes | None = None


@dataclass(frozen=True, slots=True)
class DestinationBackend:
    """What a destination module registers: its settings model and its constructor."""

    settings: type[BaseModel]
    build: Callable[[Any, BuildContext], Destination]
    #: Configured as a list of tables (``[[destinations.webhooks]]``), one destination each.
    many: bool = False


DESTINATIONS: Registry[DestinationBackend] = Registry(
    "destination",
    {
        "salesforce": "signalroom.destinations.salesforce:BACKEND",
        "amplitude": "signalroom.destinations.amplitude:BACKEND",
        "webhooks": "signalroom.destinations.webhook:BACKEND",
        "hubspot": "signalroom.destinations.hubspot:BACKEND",
    },
    hint="check the [destinations.*] tables of signalroom.toml (docs/destinations.md)",
)


def open_warehouse(url: str) -> Warehouse:
    scheme = urlsplit(url).scheme
    if scheme not in WAREHOUSES:
        raise ConfigError(
            f"unknown warehouse URL scheme {scheme!r} in {url!r}",
            hint="use duckdb:///path/warehouse.duckdb or postgresql://user@host:5432/db",
        )
    return WAREHOUSES.load(scheme)(url)


def validate_destination(name: str, raw: Any) -> Any:
    """``raw`` (a table, or a list for a ``many`` backend) checked by the backend's model.

    Errors name the key as ``destinations.<name>.<field>`` so a misspelt key is easy to find.
    """
    backend = DESTINATIONS.load(name)
    shape: Any = list[backend.settings] if backend.many else backend.settings  # type: ignore[name-defined]
    try:
        return TypeAdapter(shape).validate_python(raw)
    except ValidationError as exc:
        problems = [
            ".".join(str(p) for p in ("destinations", name, *error["loc"])) + f": {error['msg']}"
            for error in exc.errors()[:3]
        ]
        raise ValueError("; ".join(problems)) from None


def build_destinations(
    configured: Mapping[str, Any], *, hash_key: bytes | None = None
) -> list[Destination]:
    """The destinations of ``configured`` (``settings.destinations.configured()``).

    Every destination needs a distinct ``name``: it keys the delivery status rows.
    """
    context = BuildContext(hash_key=hash_key)
    built: list[Destination] = []
    for name, settings in configured.items():
        backend = DESTINATIONS.load(name)
        for one in settings if backend.many else [settings]:
            built.append(backend.build(one, context))
    names = [d.name for d in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"two destinations share the name {duplicates[0]!r}",
            hint="give each webhook a distinct name or URL",
        )
    return built
