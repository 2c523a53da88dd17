"""Erasure forgets the commands once sent about the client's paths (their idempotency records).

A record keeps the command's idempotency key, which a caller chose freely, and a SHA-256 of the
request: for the opening of a path that is the client's name and identity code with facts the
events also show, a hash anyone can test guesses against. The records only serve retries;
an erased path takes no more commands, so they go. The erasure's own key stays, so that its
retry is still answered from the first attempt (decision 0025).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from chassis.event_store import DbConnection


async def forget_commands_of(
    connection: DbConnection, pathway_ids: Sequence[UUID], keep_key: str | None
) -> None:
    await connection.execute(
        "DELETE FROM idempotency_keys WHERE stream_id = ANY($1::text[])"
        " AND idempotency_key IS DISTINCT FROM $2",
        [str(pathway_id) for pathway_id in pathway_ids],
        keep_key,
    )
