"""The agent-side durable outbox: append in milliseconds, forward at-least-once.

``Outbox.append(record)`` stores a record version durably and never raises;
``forward(outbox, transport)`` (``sender``) sends pending records; ``Forwarder``
(``background``) runs that on a thread of its own for the agent worker. See docs/reliability.md.
"""

from signalroom.outbox.background import Forwarder
from signalroom.outbox.sender import ForwardResult, forward
from signalroom.outbox.store import Outbox, OutboxStatus

__all__ = ["ForwardResult", "Forwarder", "Outbox", "OutboxStatus", "forward"]
