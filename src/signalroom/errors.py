"""Every error signalroom raises on purpose, each saying whether a retry can help.

The service decides between retry and dead letter from the type alone::

    SignalroomError (retryable: bool)
    ├── ConfigError                      not retryable: a setting is missing or wrong
    ├── RecordError                      not retryable
    │   ├── InvalidRecordError           payload is not a valid record (bad JSON, bad field)
    │   ├── UnknownSchemaVersionError    a schema major this build does not know
    │   └── PayloadTooLargeError         over the transport's message limit
    ├── TransportError                   retryable: the broker is down or refused the call
    │   └── TransportAuthError           not retryable: wrong credentials
    ├── DestinationError                 retryable: a sink is down or timed out
    │   └── DestinationRejectedError     not retryable: the sink refused the data itself
    ├── AnalyzerError                    not retryable: an analyzer failed on this record
    ├── WarehouseLockedError             retryable: another process holds the DuckDB file
    ├── KnowledgeError                   not retryable: bad query, unknown category, bad answer
    │   ├── KnowledgeAuthError           not retryable: the search API refused the credentials
    │   └── KnowledgeUnavailable         retryable: the search API is down, slow or limiting
    └── BookingError                     not retryable; ``spoken``: a sentence for the caller
        ├── BookingRefused               the request is wrong: bad email, time, zone, slot
        ├── BookingAuthError             the calendar API refused the credentials
        └── BookingUnavailable           retryable: the calendar API is down, slow or limiting
"""

from __future__ import annotations


class SignalroomError(Exception):
    """Base class. ``retryable`` tells the caller whether the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(SignalroomError):
    retryable = False


class RecordError(SignalroomError):
    retryable = False


class InvalidRecordError(RecordError):
    pass


class UnknownSchemaVersionError(RecordError):
    pass


class PayloadTooLargeError(RecordError):
    pass


class TransportError(SignalroomError):
    retryable = True


class TransportAuthError(TransportError):
    retryable = False


class DestinationError(SignalroomError):
    retryable = True


class DestinationRejectedError(DestinationError):
    retryable = False


class AnalyzerError(SignalroomError):
    retryable = False


class WarehouseLockedError(SignalroomError):
    retryable = True


class KnowledgeError(SignalroomError):
    """A search failed; the message says why in words the agent can log."""

    retryable = False


class KnowledgeAuthError(KnowledgeError):
    retryable = False


class KnowledgeUnavailable(KnowledgeError):
    retryable = True


#: What the agent says when a booking fails for a reason the caller cannot fix.
DEFAULT_SPOKEN = "I couldn't book that just now — could we try again in a moment?"


class BookingError(SignalroomError):
    """``str(exc)`` is for logs; ``spoken`` is for the caller."""

    retryable = False

    def __init__(self, message: str, *, spoken: str = DEFAULT_SPOKEN, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.spoken = spoken


class BookingRefused(BookingError):
    retryable = False


class BookingAuthError(BookingError):
    retryable = False


class BookingUnavailable(BookingError):
    retryable = True
