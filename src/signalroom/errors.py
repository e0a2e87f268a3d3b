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
    └── WarehouseLockedError             retryable: another process holds the DuckDB file
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
