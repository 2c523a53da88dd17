"""Deciding a command again when another command on the same path got there first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from chassis.event_store import ConcurrencyConflict

T = TypeVar("T")


async def once_more_on_conflict(command: Callable[[], Awaitable[T]]) -> T:
    """Run a command again, on the record as it now is, when another one on the same path won
    the race (a double click, or the client and the counselor at the same moment).

    Guidance's commands do not depend on what the client last saw, so deciding again is what
    the caller wants; a second lost race is reported as the conflict it is. A caller that
    did say what it saw (If-Match) is refused on the second run, by that check.
    """
    try:
        return await command()
    except ConcurrencyConflict:
        return await command()
