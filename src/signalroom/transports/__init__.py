"""Queue backends behind one small protocol; ``open_transport(url)`` picks one by scheme."""

from signalroom.transports.base import Message, OutgoingMessage, Transport
from signalroom.transports.registry import open_transport, register_transport

__all__ = ["Message", "OutgoingMessage", "Transport", "open_transport", "register_transport"]
