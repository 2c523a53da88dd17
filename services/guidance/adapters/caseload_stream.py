"""The caseload as server-sent events: which of the counselor's rows changed, as they change.

The stream tells only that a row changed (its pathway id and new mark), never what it holds;
the page then reads GET /caseload, which is where the read of client data is logged. Rows are
compared by `updated_at` once a second. A stream lives a bounded time and then ends: the
browser's EventSource reconnects by itself, with a fresh token check and a fresh view.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from uuid import UUID

POLL_SECONDS = 1.0
LIFETIME_SECONDS = 300.0
# A comment line now and then keeps proxies from closing a quiet connection.
KEEPALIVE_SECONDS = 10.0
RECONNECT_MILLISECONDS = 2000

Marks = dict[UUID, datetime]


def changed_rows(before: Marks, after: Marks) -> list[tuple[UUID, datetime | None]]:
    """Rows new or changed since the last poll, and rows gone from view (mark None)."""
    changed: list[tuple[UUID, datetime | None]] = [
        (pathway_id, mark) for pathway_id, mark in after.items() if before.get(pathway_id) != mark
    ]
    changed += [(pathway_id, None) for pathway_id in before if pathway_id not in after]
    return changed


def sse_event(event: str, data: dict[str, object]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def caseload_events(
    read_marks: Callable[[], Awaitable[Marks]],
    *,
    poll_seconds: float = POLL_SECONDS,
    lifetime_seconds: float = LIFETIME_SECONDS,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> AsyncGenerator[str, None]:
    """`ready` once watching, then `changed` (or `removed`) per row, until the lifetime ends."""
    marks = await read_marks()
    yield f"retry: {RECONNECT_MILLISECONDS}\n" + sse_event("ready", {"rows": len(marks)})
    started = last_sent = time.monotonic()
    while time.monotonic() - started < lifetime_seconds:
        await asyncio.sleep(poll_seconds)
        latest = await read_marks()
        for pathway_id, mark in changed_rows(marks, latest):
            if mark is None:
                yield sse_event("removed", {"pathway_id": str(pathway_id)})
            else:
                yield sse_event(
                    "changed", {"pathway_id": str(pathway_id), "updated_at": mark.isoformat()}
                )
            last_sent = time.monotonic()
        marks = latest
        if time.monotonic() - last_sent >= keepalive_seconds:
            yield ": keepalive\n\n"
            last_sent = time.monotonic()
