"""Outcome follow-ups: the counselor records what the client went on to; staff read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.streams import CommandContext, EventStreams, check_expected_version
from services.guidance.adapters.caseload_query import path_span
from services.guidance.adapters.path_access import require_access
from services.guidance.application.retry import once_more_on_conflict
from services.guidance.domain.guidance_record import GuidanceRecord, RecordedOutcome
from services.guidance.domain.outcomes import FollowUp, OutcomeKind, record_outcome


@dataclass(frozen=True)
class Recorded:
    outcome: RecordedOutcome
    # True for a retry of a command already run (same idempotency key).
    replayed: bool


@dataclass(frozen=True)
class OutcomesRead:
    outcomes: list[RecordedOutcome]
    version: int


class OutcomeHandlers:
    def __init__(self, streams: EventStreams, pool: asyncpg.Pool) -> None:
        self._streams = streams
        self._pool = pool

    async def _load(self, pathway_id: UUID) -> GuidanceRecord:
        stream = await self._streams.load(str(pathway_id))
        return GuidanceRecord.from_history(pathway_id, stream.version, stream.events)

    async def record(
        self,
        pathway_id: UUID,
        follow_up: FollowUp,
        outcome: OutcomeKind,
        outcome_date: date,
        principal: Principal,
        context: CommandContext,
        now: datetime,
        today: date,
        expected_version: int | None = None,
    ) -> Recorded:
        await require_access(self._pool, pathway_id, principal, staff_only=True)
        span = await path_span(self._pool, pathway_id)

        async def attempt() -> Recorded:
            if await self._streams.previous_result(context) is not None:
                return Recorded((await self._load(pathway_id)).outcomes[follow_up], True)
            record = await self._load(pathway_id)
            check_expected_version(str(pathway_id), expected_version, record.version)
            events = record_outcome(record, span, follow_up, outcome, outcome_date, today, now)
            result = await self._streams.append(str(pathway_id), record.version, events, context)
            if result.replayed:  # the same request, run a moment earlier by another worker
                return Recorded((await self._load(pathway_id)).outcomes[follow_up], True)
            for event in events:
                record.apply(event)
            return Recorded(record.outcomes[follow_up], False)

        return await once_more_on_conflict(attempt)

    async def outcomes(self, pathway_id: UUID, principal: Principal) -> OutcomesRead:
        access = await require_access(self._pool, pathway_id, principal, staff_only=True)
        record = await self._load(pathway_id)
        if access.client_ref is not None:
            await record_read(self._pool, principal, access.client_ref, "outcomes", pathway_id)
        return OutcomesRead(list(record.outcomes.values()), record.version)
