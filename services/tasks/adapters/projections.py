"""Tasks' read models of other contexts' events, each a tracked projection that a rebuild
makes again from the topics: who may see a plan, a path's pauses and ending, the guidance
meetings held about its tasks.

Every handler is a statement that leaves the same row however often, and in whichever
rebuild, its event comes (the projector drops repeats; these keys drop what it cannot).
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Projection, typed
from contracts.envelope import EventEnvelope
from contracts.events.enrolment import (
    ClientDataErased,
    CounselorAssigned,
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    PathwayPaused,
    PathwayResumed,
)
from contracts.events.guidance import GuidanceMeetingHeld
from services.tasks.adapters.erasure import ERASED_REF_PREFIX
from services.tasks.adapters.plan_access import record_access


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await record_access(
        connection, event.pathway_id, envelope.tenant, event.client_ref, list(event.counselor_ids)
    )


async def _assigned(
    connection: DbConnection, envelope: EventEnvelope, event: CounselorAssigned
) -> None:
    # The one replaced goes, the new one comes once.
    await connection.execute(
        "UPDATE plan_access SET counselor_ids = CASE"
        " WHEN $2 = ANY(array_remove(counselor_ids, $3::text))"
        " THEN array_remove(counselor_ids, $3::text)"
        " ELSE array_append(array_remove(counselor_ids, $3::text), $2) END"
        " WHERE pathway_id = $1",
        event.pathway_id,
        event.counselor_id,
        event.replaces,
    )


async def _erased(
    connection: DbConnection, envelope: EventEnvelope, event: ClientDataErased
) -> None:
    # Unlinked from the person: signing in again with the same identity finds no plan.
    await connection.execute(
        "UPDATE plan_access SET client_ref = $2 WHERE pathway_id = $1",
        event.pathway_id,
        f"{ERASED_REF_PREFIX}{event.pathway_id}",
    )


PLAN_ACCESS = Projection(
    name="tasks_plan_access",
    tables=["plan_access"],
    handlers=dict(
        [
            typed(PathwayOpened, _opened),
            typed(CounselorAssigned, _assigned),
            typed(ClientDataErased, _erased),
        ]
    ),
)


async def _paused(connection: DbConnection, envelope: EventEnvelope, event: PathwayPaused) -> None:
    await connection.execute(
        "INSERT INTO plan_pauses (pathway_id, paused_on) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        event.pathway_id,
        event.paused_on,
    )


async def _resumed(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayResumed
) -> None:
    # Only a pause that began by then ends.
    await connection.execute(
        "UPDATE plan_pauses SET resumed_on = $2"
        " WHERE pathway_id = $1 AND resumed_on IS NULL AND paused_on <= $2",
        event.pathway_id,
        event.resumed_on,
    )


PLAN_PAUSES = Projection(
    name="tasks_plan_pauses",
    tables=["plan_pauses"],
    handlers=dict([typed(PathwayPaused, _paused), typed(PathwayResumed, _resumed)]),
)


async def _ended(
    connection: DbConnection,
    envelope: EventEnvelope,
    event: PathwayCompleted | PathwayDiscontinued,
) -> None:
    ended_on = event.completed_on if isinstance(event, PathwayCompleted) else event.discontinued_on
    await connection.execute(
        "INSERT INTO plan_endings (pathway_id, ended_on) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        event.pathway_id,
        ended_on,
    )


PLAN_ENDINGS = Projection(
    name="tasks_plan_endings",
    tables=["plan_endings"],
    handlers=dict([typed(PathwayCompleted, _ended), typed(PathwayDiscontinued, _ended)]),
)


async def _held(
    connection: DbConnection, envelope: EventEnvelope, event: GuidanceMeetingHeld
) -> None:
    # A meeting can be held before the client answers; the answer then completes the task.
    await connection.executemany(
        "INSERT INTO held_meetings (pathway_id, task_id, meeting_id) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(event.pathway_id, task_id, event.meeting_id) for task_id in event.task_ids],
    )


HELD_MEETINGS = Projection(
    name="tasks_held_meetings",
    tables=["held_meetings"],
    handlers=dict([typed(GuidanceMeetingHeld, _held)]),
)

PROJECTIONS = [PLAN_ACCESS, PLAN_PAUSES, PLAN_ENDINGS, HELD_MEETINGS]
