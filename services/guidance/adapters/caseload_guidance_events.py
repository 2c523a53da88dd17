"""The caseload's handlers for guidance's own events, read back from its own topic.

The counselor's deeds (a meeting asked for, given a time or held, feedback given, an outcome
recorded) change what the caseload flags; reading them from the topic, like any other
context's events, keeps the row a projection that a rebuild can make again. A meeting held
and feedback given only move times forward, so they are collapsed with the other changes
that commute (caseload_accrual).
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Handler, typed
from contracts.envelope import EventEnvelope
from contracts.events.guidance import (
    GuidanceMeetingRequested,
    GuidanceMeetingScheduled,
    OutcomeRecorded,
)
from services.guidance.adapters.caseload_rows import update_row


async def _requested(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingRequested
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "meetings_waiting = array_append(array_remove(meetings_waiting, $2), $2)",
        event.meeting_id,
    )


async def _scheduled(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingScheduled
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "meetings_waiting = array_remove(meetings_waiting, $2)",
        event.meeting_id,
    )


async def _outcome(
    connection: DbConnection, envelope: EventEnvelope, event: OutcomeRecorded
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "follow_ups_recorded = ARRAY(SELECT DISTINCT f"
        " FROM unnest(array_append(follow_ups_recorded, $2)) AS f ORDER BY f)",
        event.follow_up,
    )


GUIDANCE_HANDLERS: list[tuple[str, Handler]] = [
    typed(GuidanceMeetingRequested, _requested),
    typed(GuidanceMeetingScheduled, _scheduled),
    typed(OutcomeRecorded, _outcome),
]
