"""Structured JSON logs for the service: structlog renders every ``signalroom`` log record.

The modules log through the standard library (``logging.getLogger("signalroom...")``);
structlog's ``ProcessorFormatter`` turns each record into one JSON line with a UTC timestamp,
level and logger name, written to stderr and to ``HOME/logs/service.log``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog

_MARK = "_signalroom_service_handler"


def configure_logging(log_dir: Path | None, level: int = logging.INFO) -> list[logging.Handler]:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),  # ``extra={"fields": {...}}`` becomes JSON fields
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_dir / "service.log", encoding="utf-8"))
    root = logging.getLogger("signalroom")
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    return handlers


def remove_handlers(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger("signalroom")
    for handler in handlers:
        root.removeHandler(handler)
        handler.close()
