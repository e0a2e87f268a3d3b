"""The agent-side durable outbox: append in milliseconds, forward at-least-once.

``Outbox.append(record)`` stores a record version durably and never raises;
``Outbox.forward(transport)`` sends pending records; ``Forwarder`` runs that in the
background for the agent worker. See docs/reliability.md.
"""

from signalroom.outbox.forward import ForwardResult
from signalroom.outbox.forwarder import Forwarder
from signalroom.outbox.store import Outbox, OutboxStatus

__all__ = ["ForwardResult", "Forwarder", "Outbox", "OutboxStatus"]
