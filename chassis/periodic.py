"""A background job's rhythm: do a round, wait, again, until the service stops.

A failed round is logged and the next one tries again: a database away for a moment must not
end the job for the life of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from chassis.logs import get_logger

log = get_logger(__name__)


async def every(
    seconds: float,
    stop: asyncio.Event,
    round_: Callable[[], Awaitable[None]],
    *,
    failed: str,
    errors: tuple[type[BaseException], ...] = (Exception,),
) -> None:
    """Run `round_` now and then every `seconds` until `stop` is set; a round that raises one
    of `errors` is logged as `failed` (with its traceback), and the next round comes as usual."""
    while not stop.is_set():
        try:
            await round_()
        except errors:
            log.exception(failed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
