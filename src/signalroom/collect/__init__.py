"""In-call collection: a :class:`SessionRecorder` watches any LiveKit ``AgentSession``.

See docs/collection.md. The recorder only observes session events and appends to memory; the
record leaves through a sink (usually ``Outbox.append``) on a worker thread.
"""

from .annotations import STAGES, CallAnnotations
from .identity import hash_identity
from .recorder import SessionRecorder, Sink, Transform

__all__ = [
    "STAGES",
    "CallAnnotations",
    "SessionRecorder",
    "Sink",
    "Transform",
    "hash_identity",
]
