"""Erasing a client's words from guidance (on ClientDataErased), and refusing new ones.

Feedback, meeting notes and the messages of the path's thread are the counselor's words
about the client, or the client's own: they go with the client's own. The events stay (they
hold no text), and so does the caseload row, marked erased: its client_ref is a pseudonym
and the rest are facts of the path, not of the person.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from chassis.errors import Conflict
from chassis.event_store import DbConnection


async def erase_client_texts(connection: DbConnection, pathway_ids: Collection[UUID]) -> None:
    """The erased paths' texts, a statement per table for a whole batch of erasures."""
    # Each statement is idempotent, so a redelivered event (or a rebuild) changes nothing more.
    if not pathway_ids:
        return
    paths = sorted(pathway_ids)
    await connection.execute("DELETE FROM feedback_texts WHERE pathway_id = ANY($1)", paths)
    await connection.execute("DELETE FROM meeting_notes WHERE pathway_id = ANY($1)", paths)
    # The thread with the client (decision 0041): both sides' words.
    await connection.execute("DELETE FROM path_messages WHERE pathway_id = ANY($1)", paths)


async def refuse_if_erased(connection: DbConnection, pathway_id: UUID) -> None:
    """In the transaction that stores a text: refuse it if the client has been erased.

    The share lock waits for an erasure under way to commit (which locks the row before it
    deletes), so a text either lands before the deletion sees it or is refused here.
    """
    erased_at = await connection.fetchval(
        "SELECT erased_at FROM caseload WHERE pathway_id = $1 FOR SHARE", pathway_id
    )
    if erased_at is not None:
        raise Conflict("guidance.client_erased")
