"""Waiting until reporting has applied every event the simulation caused.

Settled means: the events stored by enrolment, tasks and guidance (every one of which their
relays publish) equal the events reporting's projection has recorded as applied. Its
tracking keeps each stream's last applied version, and versions count from 1 without gaps,
so the sum of those versions is the number of events applied.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from deploy.system import RunningSystem
from services.reporting.adapters.figures_projection import FIGURES

PUBLISHING_SERVICES = ("enrolment", "tasks", "guidance")


class NotSettled(RuntimeError):
    pass


async def _counts(system: RunningSystem) -> tuple[int, int]:
    stored = 0
    for name in PUBLISHING_SERVICES:
        connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for(name))
        try:
            stored += int(await connection.fetchval("SELECT count(*) FROM events"))
        finally:
            await connection.close()
    connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for("reporting"))
    try:
        applied = await connection.fetchval(
            "SELECT coalesce(sum(stream_version), 0) FROM projection_tracking"
            " WHERE projection = $1",
            FIGURES.name,
        )
    finally:
        await connection.close()
    return stored, int(applied)


def wait_until_reported(
    system: RunningSystem, timeout: float = 300.0, quiet: float = 2.5
) -> tuple[int, int]:
    """(events stored, events applied by reporting), once they have been equal and unchanged
    for `quiet` seconds: longer than the calendar's tick, which may still open a week."""
    deadline = time.monotonic() + timeout
    previous: tuple[int, int] | None = None
    since = time.monotonic()
    while time.monotonic() < deadline:
        counts = asyncio.run(_counts(system))
        if counts != previous or counts[0] != counts[1]:
            previous, since = counts, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return counts
        time.sleep(0.25)
    raise NotSettled(f"reporting has not caught up: stored and applied {previous}")
