"""The caseload projection: one row per path, from enrolment's, tasks' and guidance's own events.

Every handler is an upsert that commutes with the other topics' handlers (counts add, times
take the greatest, sets gain members, and a column set outright is set by one stream only,
whose events arrive in order), so the row ends the same whatever order the topics interleave
in, live or in a rebuild. `updated_at` is moved by a trigger on every real change.
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Decoded, Handler, Projection, TypedHandler, batched, typed
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
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    PlanStarted,
)
from services.guidance.adapters.caseload_accrual import ACCRUING, accrue, write_accrued
from services.guidance.adapters.caseload_guidance_events import GUIDANCE_HANDLERS
from services.guidance.adapters.caseload_rows import make_rows, update_row
from services.guidance.adapters.erasure import erase_client_text


async def _opened(connection: DbConnection, envelope: EventEnvelope, event: PathwayOpened) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "client_ref = $2, counselor_ids = $3, municipality = $4, unit = $5, cohort = $6,"
        " start_date = $7, last_activity_at = greatest(last_activity_at, $8)",
        event.client_ref,
        list(event.counselor_ids),
        event.municipality,
        event.unit,
        event.cohort,
        event.start_date,
        envelope.occurred_at,
    )


async def _counselor(
    connection: DbConnection, envelope: EventEnvelope, event: CounselorAssigned
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "counselor_ids = array_append(array_remove(array_remove(counselor_ids, $3), $2), $2)",
        event.counselor_id,
        event.replaces,
    )


async def _paused(connection: DbConnection, envelope: EventEnvelope, event: PathwayPaused) -> None:
    await update_row(connection, envelope, event.pathway_id, "status = 'paused'")


async def _resumed(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayResumed
) -> None:
    # The day it went on restarts the week of quiet after which a client counts as inactive.
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "status = 'active', resumed_on = $2",
        event.resumed_on,
    )


async def _completed(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayCompleted
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "status = 'completed', ended_on = $2",
        event.completed_on,
    )


async def _discontinued(
    connection: DbConnection, envelope: EventEnvelope, event: PathwayDiscontinued
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "status = 'discontinued', ended_on = $2",
        event.discontinued_on,
    )


async def _erased(
    connection: DbConnection, envelope: EventEnvelope, event: ClientDataErased
) -> None:
    # The row first: its lock makes a note or feedback being written right now either land
    # before the texts are deleted below, or see the mark and be refused.
    await update_row(connection, envelope, event.pathway_id, "erased_at = $2", event.erased_at)
    await erase_client_text(connection, event.pathway_id)


async def _direction(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChosen
) -> None:
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "direction = $2, last_activity_at = greatest(last_activity_at, $3),"
        " last_client_activity_at = greatest(last_client_activity_at, $3)",
        event.direction,
        event.chosen_at,
    )


async def _direction_changed(
    connection: DbConnection, envelope: EventEnvelope, event: DirectionChanged
) -> None:
    # Agreed with the counselor, so it is activity on the path but not the client's own deed.
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "direction = $2, last_activity_at = greatest(last_activity_at, $3)",
        event.to_direction,
        event.changed_at,
    )


async def _plan_started(
    connection: DbConnection, envelope: EventEnvelope, event: PlanStarted
) -> None:
    # The curriculum the path keeps: the tasks its meetings may be about (decision 0019).
    await update_row(
        connection,
        envelope,
        event.pathway_id,
        "curriculum_version = $2",
        event.curriculum_version,
    )


HANDLERS: dict[str, Handler] = dict(
    [
        typed(PathwayOpened, _opened),
        typed(CounselorAssigned, _counselor),
        typed(PathwayPaused, _paused),
        typed(PathwayResumed, _resumed),
        typed(PathwayCompleted, _completed),
        typed(PathwayDiscontinued, _discontinued),
        typed(ClientDataErased, _erased),
        typed(DirectionChosen, _direction),
        typed(DirectionChanged, _direction_changed),
        typed(PlanStarted, _plan_started),
        *GUIDANCE_HANDLERS,
        # Decoded one by one, written together (caseload_accrual).
        *batched(*ACCRUING).items(),
    ]
)


async def write_caseload(connection: DbConnection, events: Decoded) -> None:
    """The batch's rows made in one statement; the changes that commute with all others
    (answers, weeks, …) collapsed per row into one more; the rest event by event, in
    delivery order (issue 15)."""
    await make_rows(connection, events)
    accruing = [(envelope, event) for envelope, event in events if isinstance(event, ACCRUING)]
    for envelope, event in events:
        if isinstance(event, ACCRUING):
            continue
        handler = HANDLERS[envelope.event_type]
        assert isinstance(handler, TypedHandler)
        await handler.apply(connection, envelope, event)
    await write_accrued(connection, accrue(accruing))


CASELOAD = Projection(
    name="caseload", tables=["caseload"], handlers=HANDLERS, apply_batch=write_caseload
)
