"""Bring enrolment's tables up to paths opened before they existed (once, at start-up).

Every append since keeps them current in its own transaction; this only covers history.
"""

from __future__ import annotations

import asyncpg

from chassis.logs import get_logger
from chassis.service import ServiceRuntime
from chassis.streams import EventStreams
from services.enrolment.adapters.open_paths import claim_open_path
from services.enrolment.adapters.pathway_list import save_row, streams_without_row
from services.enrolment.application.handlers import load_pathway

log = get_logger(__name__)


async def catch_up_pathway_list(runtime: ServiceRuntime) -> None:
    caught_up = await catch_up(EventStreams(runtime.require_store()), runtime.require_pool())
    if caught_up:
        log.info("pathway list caught up", paths=caught_up)


async def catch_up(streams: EventStreams, pool: asyncpg.Pool) -> int:
    """Fold every path that has no list row yet and store its row; returns how many."""
    missing = await streams_without_row(pool)
    for pathway_id in missing:
        pathway = await load_pathway(streams, pathway_id)
        async with pool.acquire() as connection, connection.transaction():
            await save_row(connection, pathway)
            # Older data may hold two open paths of one client; the first keeps the claim.
            if pathway.is_open:
                await claim_open_path(connection, pathway.client_ref, pathway.pathway_id)
    return len(missing)
