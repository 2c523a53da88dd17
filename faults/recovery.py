"""When the system has recovered from a fault, and when it has settled at the end.

Recovered: every service answers its readiness check again, and every read model has applied
at least as many events as its store held when the fault was injected. Settled: every read
model has applied every event its store holds, and that has stayed so for a few seconds
(the calendar may still open a week).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import asyncpg
import httpx

from faults.witness import Counts, Feed, counts

POLL = 0.5


async def answers(urls: Mapping[str, str]) -> bool:
    async with httpx.AsyncClient(timeout=2.0) as http:
        for url in urls.values():
            try:
                if (await http.get(f"{url}/readyz")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
    return True


async def _look(dsns: Mapping[str, str], every_feed: list[Feed]) -> Counts | None:
    try:
        return await counts(dsns, every_feed)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        # the database is away or starting (crash recovery): not yet
        return None


def caught_up(now: Counts, then: Counts) -> bool:
    return all(now.applied[feed] >= then.stored[feed.store] for feed in now.applied)


async def wait_recovered(
    urls: Mapping[str, str],
    dsns: Mapping[str, str],
    every_feed: list[Feed],
    before: Counts,
    injected_at: float,
    limit: float,
) -> float | None:
    """Seconds from the injection until recovered; None when not within `limit`."""
    while time.monotonic() - injected_at < limit:
        now = await _look(dsns, every_feed)
        if now is not None and caught_up(now, before) and await answers(urls):
            return round(time.monotonic() - injected_at, 2)
        await asyncio.sleep(POLL)
    return None


async def settle(
    urls: Mapping[str, str],
    dsns: Mapping[str, str],
    every_feed: list[Feed],
    limit: float,
    quiet: float = 3.0,
) -> tuple[bool, Counts | None]:
    """(settled, the last counts): settled once every feed has applied all its store holds,
    unchanged for `quiet` seconds, with every service ready; gives up after `limit` s."""
    deadline = time.monotonic() + limit
    previous: Counts | None = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = await _look(dsns, every_feed)
        done = now is not None and caught_up(now, now) and await answers(urls)
        if not done or now != previous:
            previous, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True, now
        await asyncio.sleep(POLL)
    return False, previous
