"""JSON logs through structlog, with the correlation id bound per request or message.

`correlation_id` lives in structlog's context variables: the HTTP middleware binds it from the
`X-Correlation-ID` header (or makes one), consumers bind it from the Kafka header, and every log
line written while handling that request or message carries it. Inside a span (chassis.tracing)
a line also carries its `trace_id` and `span_id`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import structlog
from opentelemetry import trace
from uuid6 import uuid7

CORRELATION_HEADER = "X-Correlation-ID"


def configure_logging(service: str, level: int = logging.INFO) -> None:
    """Route structlog and the standard library's loggers to one JSON line per event."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The Kafka client logs every rebalance step at INFO; keep its warnings only.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def add_trace_ids(
    logger: object, method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """The current span's trace and span ids on the line (decision 0039), so a log line
    leads to its trace and a trace to its lines; nothing outside a span or untraced."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict["trace_id"] = f"{span_context.trace_id:032x}"
        event_dict["span_id"] = f"{span_context.span_id:016x}"
    return event_dict


def parse_correlation_id(raw: str | bytes | None) -> UUID:
    """A correlation id from a header, or a new one when it is missing or malformed."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    if raw:
        try:
            return UUID(raw)
        except ValueError:
            pass
    return uuid7()


@contextmanager
def correlation_scope(correlation_id: UUID, **extra: object) -> Iterator[None]:
    """Bind the correlation id (and extra fields) to every log line inside the block."""
    tokens = structlog.contextvars.bind_contextvars(correlation_id=str(correlation_id), **extra)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def current_correlation_id() -> UUID:
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    return parse_correlation_id(bound)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
