"""Guidance's feedback command: the counselor's words on a client's answer.

The words are kept in their forgettable table in the command's transaction, beside the
FeedbackGiven that announces them (without them).
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
from contracts.events.guidance import FeedbackGiven
from services.guidance.application.ports import Answers, NewFeedback, Paths, Texts
from services.guidance.application.records import first_event, load_record, require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import give_feedback


@dataclass(frozen=True)
class FeedbackCommands:
    pipeline: CommandPipeline
    paths: Paths
    answers: Answers
    texts: Texts

    async def give(
        self,
        pathway_id: UUID,
        answer_id: UUID,
        text: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
    ) -> Ran[UUID]:
        """Returns the feedback's id (the first one's, for a retry)."""
        access = await require_access(self.paths, pathway_id, principal, staff_only=True)
        answer = await self.answers.seen(pathway_id, answer_id)

        async def handle(work: UnitOfWork) -> UUID:
            record = await load_record(work.load, pathway_id)
            feedback_id = uuid7()
            events = give_feedback(
                record,
                feedback_id,
                answer_id,
                access.client_ref,
                principal.subject,
                text,
                now,
                answer_known=answer is not None,
                answer_erased=answer is not None and answer.erased,
            )
            await self.texts.refuse_if_erased(work, pathway_id)
            await work.append(str(pathway_id), record.version, events)
            body = text.strip()
            feedback = NewFeedback(feedback_id, pathway_id, answer_id, principal.subject, body, now)
            await self.texts.keep_feedback(work, feedback)
            return feedback_id

        async def replay(recorded: AppendResult) -> UUID:
            event = await first_event(self.pipeline.load, recorded)
            assert isinstance(event, FeedbackGiven)
            return event.feedback_id

        # Feedback adds to the record and depends on no other decision, so feedback on two
        # answers given at once both stand: the loser of the race decides again.
        return await once_more_on_conflict(lambda: self.pipeline.run(context, handle, replay))
