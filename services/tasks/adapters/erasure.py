"""Erasing a client's words from the tasks service (on ClientDataErased).

Answers, drafts and the reason for the direction are the client's own free text: they go.
The events stay (they hold no text, only facts such as an answer's length), so reporting's
counts stay right. The plan is unlinked from the person by the access projection
(adapters/projections.py), which a rebuild makes again; the texts cannot be rebuilt, so this
reaction deletes them.
"""

from __future__ import annotations

from uuid import UUID

from chassis.event_store import DbConnection

ERASED_REF_PREFIX = "erased:"


async def erase_client_text(connection: DbConnection, pathway_id: UUID) -> None:
    # Each statement is idempotent, so a redelivered event changes nothing more.
    await connection.execute("DELETE FROM answer_texts WHERE pathway_id = $1", pathway_id)
    await connection.execute("DELETE FROM answer_drafts WHERE pathway_id = $1", pathway_id)
    await connection.execute("DELETE FROM direction_reasons WHERE pathway_id = $1", pathway_id)
