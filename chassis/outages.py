"""Which failures are outages: the database, the broker or a peer cannot be reached right now.

Such a failure says nothing about the request, so it is answered 503 with `Retry-After` (the
client may send the same command again with the same idempotency key), never 500, which
would say the request met a bug. Everything else stays a 500.
"""

from __future__ import annotations

import errno

import asyncpg
import httpx
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError

# Seconds a client is asked to wait: the local supervisor has PostgreSQL back in about one,
# Kubernetes a crashed pod in a few.
RETRY_AFTER_SECONDS = 5

# Exception classes that are always an outage, whatever their message.
OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,  # also asyncio's: a pool acquire, a connect or a command that timed out
    asyncpg.PostgresConnectionError,  # the connection does not exist or failed
    asyncpg.exceptions.OperatorInterventionError,  # admin/crash shutdown, cannot connect now
    asyncpg.exceptions.TooManyConnectionsError,
    httpx.TransportError,  # a peer service that does not answer
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
)

# An OSError with one of these numbers is the network's, not a file's.
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.ETIMEDOUT,
    errno.EPIPE,
    errno.ENOTCONN,
    errno.EADDRNOTAVAIL,
}

# The types an HTTP app registers a handler for, so that `is_outage` can decide (an OSError
# or an InterfaceError that is not an outage is handed on as the 500 it is).
HANDLED_TYPES: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,
    httpx.TransportError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
    ExceptionGroup,  # concurrent reads (a task group) that met an outage
)


def is_outage(exc: BaseException) -> bool:
    """True when `exc`, or what caused it, says that a dependency cannot be reached."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_outage_itself(current):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return False


def _is_outage_itself(exc: BaseException) -> bool:
    if isinstance(exc, OUTAGE_TYPES):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # A connection that died under us ("connection is closed", "...was closed in the
        # middle of operation"); other InterfaceErrors are misuse, that is bugs.
        return "closed" in str(exc)
    if isinstance(exc, OSError) and type(exc) is OSError:
        # asyncio's create_connection says "Multiple exceptions: [Errno 111] ..." with no
        # errno of its own when every address refused.
        return exc.errno in _NETWORK_ERRNOS or (
            exc.errno is None and "Connect call failed" in str(exc)
        )
    return False
