"""Asking something that may hang (the database, the broker) with a deadline a probe or a
scrape can wait for: readiness (chassis.service) and /metrics (chassis.metrics.scrape)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

# A probe (Kubernetes' timeout, the load balancer's) waits about this long for an answer.
PROBE_SECONDS = 2.0


async def answer_within(work: Awaitable[T], seconds: float) -> T | BaseException:
    """What `work` gave, or the exception it raised or a TimeoutError, after `seconds` at most.

    Not `asyncio.wait_for`: that waits for the cancelled work to clean up, and a query on a
    database that hangs cleans up only at its statement timeout, long after the probe gave up.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        return TimeoutError()
    try:
        return task.result()
    except Exception as exc:  # any failure means no answer; the caller says which
        return exc


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
