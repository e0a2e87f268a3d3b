"""The sink surface: a destination receives analyzed sessions and applies them idempotently.

Template method (as LiveKit's ``recognize`` → ``_recognize_impl``): the public ``write`` owns
timing, logging and error typing; a backend implements only ``_write``. A backend raises
``DestinationError`` (retryable: down, timeout) or ``DestinationRejectedError`` (the sink refused
the data itself); anything else is wrapped as retryable so one odd failure never loses a record.

Like every backend (``signalroom.seam``) a destination has ``check`` (contacts the service, for
``signalroom doctor``) and ``erase``/``count`` (for ``signalroom forget``). A receiver we cannot
search (an analytics tool, a webhook endpoint) raises ``NotErasable`` saying how to erase there.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from signalroom.errors import DestinationError
from signalroom.record import SessionRecord
from signalroom.seam import Counts, NotErasable

if TYPE_CHECKING:
    from signalroom.privacy.subject import Subject

log = logging.getLogger("signalroom.destinations")


@dataclass(frozen=True, slots=True)
class AnalyzerResult:
    name: str
    version: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AnalyzedSession:
    """A record and what every analyzer said of it; what destinations receive."""

    record: SessionRecord
    results: dict[str, AnalyzerResult] = field(default_factory=dict)

    @property
    def record_id(self) -> str:
        return self.record.record_id


class Destination(ABC):
    #: Short stable name used in delivery status rows and metrics.
    name: str = "destination"
    #: A required destination must accept a batch before the service acks it; an optional one
    #: is retried on its own through the deliveries table and never blocks the others.
    required: bool = False

    def __init__(self) -> None:
        self.last_latency_s: float | None = None

    async def write(self, batch: Sequence[AnalyzedSession]) -> None:
        if not batch:
            return
        started = time.perf_counter()
        try:
            await self._write(batch)
        except DestinationError:
            raise
        except Exception as exc:
            raise DestinationError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        finally:
            self.last_latency_s = time.perf_counter() - started
        log.debug("wrote %d sessions to %s", len(batch), self.name)

    @abstractmethod
    async def _write(self, batch: Sequence[AnalyzedSession]) -> None: ...

    @abstractmethod
    async def check(self) -> str:
        """Contact the service (for ``signalroom doctor``); raise DestinationError if down."""

    #: What ``forget`` says about a receiver that keeps its own copy and cannot be searched.
    erase_hint = "it keeps its own copy: erase the person there"

    async def erase(self, subject: Subject) -> Counts:
        raise NotErasable(f"{self.name}: {self.erase_hint}")

    async def count(self, subject: Subject) -> Counts:
        raise NotErasable(f"{self.name}: {self.erase_hint}")

    async def close(self) -> None:
        return None
