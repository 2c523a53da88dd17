"""Bounded waiting on a condition, for tests (never an unbounded loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def wait_for(
    condition: Callable[[], Awaitable[bool]], within: float, interval: float = 0.01
) -> bool:
    """Poll `condition` until it holds (True) or `within` seconds have passed (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in range(int(within / interval) + 1):
        if await condition():
            return True
        if loop.time() >= deadline:
            break
        await asyncio.sleep(interval)
    return await condition()
