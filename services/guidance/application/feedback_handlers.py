"""Guidance's feedback: the counselor's words on a client's answer, and the client reading them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.streams import CommandContext, EventStreams, check_expected_version
from contracts.events.guidance import FeedbackGiven
from services.guidance.adapters.answers_projection import answer_seen
from services.guidance.adapters.erasure import refuse_if_erased
from services.guidance.adapters.feedback_texts import FeedbackText, feedback_of, store_feedback
from services.guidance.adapters.path_access import require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import GuidanceRecord, give_feedback


@dataclass(frozen=True)
class Given:
    feedback_id: UUID
    # True for a retry of a command already run (same idempotency key): nothing new stored.
    replayed: bool


class FeedbackHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def give(
        self,
        pathway_id: UUID,
        answer_id: UUID,
        text: str,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        expected_version: int | None = None,
    ) -> Given:
        access = await require_access(self._pool, pathway_id, principal, staff_only=True)
        answer = await answer_seen(self._pool, pathway_id, answer_id)

        async def attempt() -> Given:
            previous = await self._streams.previous_result(context)
            if previous is not None:
                return Given(
                    await self._feedback_id_at(previous.stream_id, previous.first_version), True
                )
            stream = await self._streams.load(str(pathway_id))
            check_expected_version(str(pathway_id), expected_version, stream.version)
            record = GuidanceRecord.from_history(pathway_id, stream.version, stream.events)
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
            async with self._pool.acquire() as connection, connection.transaction():
                await refuse_if_erased(connection, pathway_id)
                result = await self._streams.append(
                    str(pathway_id), record.version, events, context, connection
                )
                if not result.replayed:
                    await store_feedback(
                        connection,
                        feedback_id,
                        pathway_id,
                        answer_id,
                        principal.subject,
                        text.strip(),
                        now,
                    )
            if result.replayed:
                return Given(
                    await self._feedback_id_at(result.stream_id, result.first_version), True
                )
            return Given(feedback_id, False)

        return await once_more_on_conflict(attempt)

    async def feedback(self, pathway_id: UUID, principal: Principal) -> list[FeedbackText]:
        access = await require_access(self._pool, pathway_id, principal, staff_only=False)
        if access.client_ref is not None:
            await record_read(self._pool, principal, access.client_ref, "feedback", pathway_id)
        return await feedback_of(self._pool, pathway_id)

    async def _feedback_id_at(self, stream_id: str, version: int) -> UUID:
        stream = await self._streams.load(stream_id)
        event = stream.events[version - 1]
        assert isinstance(event, FeedbackGiven)
        return event.feedback_id
