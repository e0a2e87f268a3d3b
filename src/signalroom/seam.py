"""The shape every backend has, whatever its kind (transport, warehouse, destination,
knowledge, booking), and the registry that finds backends by URL scheme or name.

Each kind adds its own operations (``publish``/``consume``, ``write``, ``search``, ``book``) to
the three below, which are what the operator commands use: ``doctor`` calls ``check`` on every
configured backend, ``forget`` calls ``count`` (``--dry-run``) or ``erase`` on every store. No
command knows a backend's tables, fields or client library.

A registry maps a name to ``"module:attribute"`` and imports the module only when that backend
is used, so a deployment installs only its own SDKs. The attribute is whatever that kind's
factory needs (a ``from_url`` function, or a spec naming the backend's settings model).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from signalroom.errors import ConfigError, SignalroomError

if TYPE_CHECKING:
    from signalroom.privacy.subject import Subject

#: What an erase or a count found, per kind of item (``{"records": 2, "dead_letters": 1}``).
Counts = dict[str, int]

T = TypeVar("T")


class NotErasable(SignalroomError):
    """This backend cannot search or erase what it holds; the message says what to do instead.

    ``forget`` reports the backend as not searched, with this message, and goes on.
    """

    retryable = False


@runtime_checkable
class Backend(Protocol):
    async def check(self) -> str:
        """Contact the real service (not just the configuration); a short description.

        Raise a ``SignalroomError`` saying what is wrong when it cannot be reached.
        """
        ...

    async def erase(self, subject: Subject) -> Counts:
        """Delete what falls under ``subject``; what was deleted. ``NotErasable`` if it cannot."""
        ...

    async def count(self, subject: Subject) -> Counts:
        """What :meth:`erase` would delete, deleting nothing."""
        ...

    async def close(self) -> None:
        """Release connections; the backend is not used again."""
        ...


class Registry(Generic[T]):
    """Name → ``"module:attribute"``, loaded on first use."""

    def __init__(
        self,
        kind: str,
        entries: dict[str, str],
        *,
        hint: str,
        install_hint: str = "install signalroom with the matching extra, e.g. "
        "signalroom[salesforce]",
    ) -> None:
        self.kind = kind
        self._entries = dict(entries)
        self._hint = hint
        self._install_hint = install_hint

    def register(self, name: str, target: str) -> None:
        """Add a backend (``"module:attribute"``), e.g. a deployment's own broker."""
        self._entries[name] = target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def load(self, name: str) -> T:
        target = self._entries.get(name)
        if target is None:
            raise ConfigError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}",
                hint=self._hint,
            )
        module_name, _, attribute = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name and exc.name.startswith("signalroom"):
                raise
            raise ConfigError(
                f"the {name} {self.kind} needs a package that is not installed ({exc.name})",
                hint=self._install_hint,
            ) from None
        loaded: T = getattr(module, attribute)
        return loaded
