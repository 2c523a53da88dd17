"""The counselor writes notes of a guidance meeting; only the path's counselors read them.

A note is free text and announces itself with no event, so its idempotency key (with the
command's fingerprint) is kept with the note itself, in the command's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from uuid6 import uuid7

from chassis.auth import Principal
from chassis.event_store import AppendResult
from chassis.streams import CommandContext
from chassis.unit_of_work import CommandPipeline, Ran, UnitOfWork
from services.guidance.adapters.meeting_notes import StoredNote
from services.guidance.application.ports import NewNote, Paths, Texts
from services.guidance.application.records import load_record, require_access
from services.guidance.domain.meeting_notes import note_text


@dataclass(frozen=True)
class NoteCommands:
    pipeline: CommandPipeline
    paths: Paths
    texts: Texts

    async def write(
        self,
        pathway_id: UUID,
        meeting_id: UUID,
        text: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[StoredNote]:
        await require_access(self.paths, pathway_id, principal, staff_only=True)

        async def handle(work: UnitOfWork) -> StoredNote:
            record = await load_record(work.load, pathway_id)
            body = note_text(record, meeting_id, text)
            # A note adds to the others and changes no decision: two counselors writing at
            # once both keep theirs.
            await self.texts.refuse_if_erased(work, pathway_id)
            note = NewNote(uuid7(), pathway_id, meeting_id, principal.subject, body, now)
            return await self.texts.keep_note(work, note)

        return await self.pipeline.run(context, handle, _no_events)


async def _no_events(recorded: AppendResult) -> StoredNote:
    # A note appends nothing, so the store never holds its key; the note table answers retries.
    raise AssertionError(f"a meeting note recorded events in {recorded.stream_id}")
