"""The counselor writes notes of a guidance meeting; only the path's counselors read them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from chassis.auth import Principal
from chassis.streams import CommandContext, EventStreams
from services.guidance.adapters.erasure import refuse_if_erased
from services.guidance.adapters.meeting_notes import StoredNote, store_note
from services.guidance.adapters.path_access import require_access
from services.guidance.domain.guidance_record import GuidanceRecord
from services.guidance.domain.meeting_notes import note_text


class NoteHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def write(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        text: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> StoredNote:
        await require_access(self._pool, pathway_id, principal, staff_only=True)
        stream = await self._streams.load(str(pathway_id))
        record = GuidanceRecord.from_history(pathway_id, stream.version, stream.events)
        body = note_text(record, meeting_id, text)
        # A note adds to the others and changes no decision, so two counselors writing at
        # once both keep theirs: no version to check.
        async with self._pool.acquire() as connection, connection.transaction():
            await refuse_if_erased(connection, pathway_id)
            return await store_note(
                connection,
                uuid7(),
                pathway_id,
                meeting_id,
                principal.subject,
                body,
                now,
                context.idempotency_key,
            )
