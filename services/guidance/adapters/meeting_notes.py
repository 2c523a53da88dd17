"""The counselor's meeting notes: free text, kept apart from the events so that it can be erased.

No event announces a note (there is nothing in one that another context needs), so a retried
request is recognised by its idempotency key, kept with the note with the command's
fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection, IdempotencyKeyReused


@dataclass(frozen=True)
class MeetingNote:
    note_id: UUID
    meeting_id: UUID
    counselor_id: str
    body: str
    written_at: datetime


@dataclass(frozen=True)
class StoredNote:
    note_id: UUID
    # True when the idempotency key was seen before: the note stored then is the answer.
    replayed: bool


async def store_note(
    connection: DbConnection,
    note_id: UUID,
    pathway_id: UUID,
    meeting_id: UUID,
    counselor_id: str,
    body: str,
    written_at: datetime,
    idempotency_key: str | None,
    fingerprint: str | None = None,
) -> StoredNote:
    stored = await connection.fetchval(
        "INSERT INTO meeting_notes (note_id, pathway_id, meeting_id, counselor_id, body,"
        " written_at, idempotency_key, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (idempotency_key) DO NOTHING RETURNING note_id",
        note_id,
        pathway_id,
        meeting_id,
        counselor_id,
        body,
        written_at,
        idempotency_key,
        fingerprint,
    )
    if stored is not None:
        return StoredNote(stored, replayed=False)
    earlier = await connection.fetchrow(
        "SELECT note_id, fingerprint FROM meeting_notes WHERE idempotency_key = $1",
        idempotency_key,
    )
    assert earlier is not None, "a key that conflicted is kept"
    # The same key with another note (its fingerprint differs) is not a retry of this one.
    if earlier["fingerprint"] and fingerprint and earlier["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused()
    return StoredNote(earlier["note_id"], replayed=True)


async def notes_of(pool: asyncpg.Pool, pathway_id: UUID) -> list[MeetingNote]:
    rows = await pool.fetch(
        "SELECT note_id, meeting_id, counselor_id, body, written_at FROM meeting_notes"
        " WHERE pathway_id = $1 ORDER BY written_at, note_id",
        pathway_id,
    )
    return [
        MeetingNote(
            row["note_id"], row["meeting_id"], row["counselor_id"], row["body"], row["written_at"]
        )
        for row in rows
    ]
