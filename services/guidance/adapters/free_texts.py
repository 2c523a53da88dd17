"""The counselors' free text (feedback and meeting notes) written in the command's transaction.

The PostgreSQL side of `application.ports.Texts`: each write goes through `work.connection`,
so a text is kept exactly when its command commits.
"""

from __future__ import annotations

from uuid import UUID

from chassis.unit_of_work import UnitOfWork
from services.guidance.adapters.erasure import refuse_if_erased
from services.guidance.adapters.feedback_texts import store_feedback
from services.guidance.adapters.meeting_notes import StoredNote, store_note
from services.guidance.application.ports import NewFeedback, NewNote


class PostgresTexts:
    async def refuse_if_erased(self, work: UnitOfWork, pathway_id: UUID) -> None:
        await refuse_if_erased(work.connection, pathway_id)

    async def keep_feedback(self, work: UnitOfWork, feedback: NewFeedback) -> None:
        await store_feedback(
            work.connection,
            feedback.feedback_id,
            feedback.pathway_id,
            feedback.answer_id,
            feedback.counselor_id,
            feedback.body,
            feedback.given_at,
        )

    async def keep_note(self, work: UnitOfWork, note: NewNote) -> StoredNote:
        return await store_note(
            work.connection,
            note.note_id,
            note.pathway_id,
            note.meeting_id,
            note.counselor_id,
            note.body,
            note.written_at,
            work.context.idempotency_key,
            work.context.fingerprint,
        )
