"""`open_paths`: which client has a path running or paused, at most one each.

The primary key on client_ref is the rule itself. A row is claimed in the transaction that
records PathwayOpened and released in the one that records the path's end, so two counselors
opening a path for the same client at the same moment cannot both succeed: the second insert
waits for the first transaction and then finds the row.
"""

from __future__ import annotations

from uuid import UUID

from chassis.advisory_locks import lock_until_commit
from chassis.event_store import DbConnection


async def claim_open_path(connection: DbConnection, client_ref: str, pathway_id: UUID) -> bool:
    """True when this path is now the client's one open path; False when another one is."""
    claimed = await connection.fetchval(
        "INSERT INTO open_paths (client_ref, pathway_id) VALUES ($1, $2)"
        " ON CONFLICT (client_ref) DO NOTHING RETURNING pathway_id",
        client_ref,
        pathway_id,
    )
    return claimed is not None


async def release_open_path(connection: DbConnection, pathway_id: UUID) -> None:
    await connection.execute("DELETE FROM open_paths WHERE pathway_id = $1", pathway_id)


async def lock_client(connection: DbConnection, client_ref: str) -> None:
    """Serialise opening and erasure for one client until the transaction ends.

    Without it an erasure could list the client's paths just before a new one commits, and
    then delete the identity that the new path was opened with.
    """
    await lock_until_commit(connection, f"enrolment-client:{client_ref}")
