"""Guidance's HTTP API: the counselor's caseload, and a stream of its changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from chassis.access_log import record_list_read
from chassis.auth import Principal
from chassis.clock import helsinki_today
from chassis.http_auth import require_role
from chassis.service import runtime_of
from contracts.reference.municipalities import MUNICIPALITY_CODE
from services.guidance.adapters.caseload_query import (
    CaseloadEntry,
    caseload_entries,
    change_marks,
)
from services.guidance.adapters.caseload_stream import caseload_events
from services.guidance.domain.caseload import (
    Attention,
    Flag,
    PathStatus,
    SortKey,
    attention,
    current_week,
)
from services.guidance.domain.outcomes import FollowUp

router = APIRouter(tags=["caseload"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
# Paths name their municipality and cohort by code (decision 0015), so filters are codes too.
MunicipalityFilter = Annotated[
    str | None,
    Query(pattern=MUNICIPALITY_CODE.pattern, description="Statistics Finland's code, e.g. 061."),
]
CohortFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
        description="A cohort's code in the tenant's registry.",
    ),
]


class CaseloadRow(BaseModel):
    pathway_id: UUID
    client_ref: str | None
    municipality: str | None
    cohort: str | None
    start_date: date | None
    current_week: int
    status: PathStatus
    ended_on: date | None
    answers: int
    help_requests: int
    direction: str | None
    last_activity_at: datetime | None
    flags: list[Flag] = Field(description="What needs attention; ['on_track'] when nothing.")
    behind: int = Field(description="Weeks before the current one without a single written answer.")
    feedback_waiting: int = Field(description="Written answers that have no feedback yet.")
    follow_ups_due: list[FollowUp] = Field(
        description="Outcome follow-ups whose day has come and that are not yet recorded."
    )
    updated_at: datetime = Field(description="When the row last changed (see /caseload/stream).")


def _row(entry: CaseloadEntry, seen: Attention) -> CaseloadRow:
    facts = entry.facts
    return CaseloadRow(
        pathway_id=entry.pathway_id,
        client_ref=entry.client_ref,
        municipality=entry.municipality,
        cohort=entry.cohort,
        start_date=facts.start_date,
        current_week=current_week(facts.opened_week),
        status=facts.status,
        ended_on=facts.ended_on,
        answers=entry.answers,
        help_requests=entry.help_requests,
        direction=entry.direction,
        last_activity_at=entry.last_activity_at,
        flags=seen.flags,
        behind=seen.behind,
        feedback_waiting=facts.feedback_waiting,
        follow_ups_due=seen.follow_ups_due,
        updated_at=entry.updated_at,
    )


def _order(sort: SortKey) -> Callable[[CaseloadRow], tuple[float, ...]]:
    """Sort keys; rows of equal key keep the start-date order they were read in."""
    if sort == "week":
        return lambda row: (row.current_week,)
    if sort == "last_activity":
        # The longest quiet first (never active before all): that is whom to call.
        return lambda row: (
            row.last_activity_at.timestamp() if row.last_activity_at else float("-inf"),
        )
    if sort == "attention":
        return lambda row: (
            -sum(1 for flag in row.flags if flag != "on_track"),
            -row.behind,
            -row.feedback_waiting,
        )
    return lambda row: ()  # start_date: the order read


@router.get("/caseload", summary="The signed-in counselor's clients, with what needs attention")
async def caseload(
    request: Request,
    principal: Staff,
    sort: Annotated[
        SortKey,
        Query(
            description="week: current week ascending; start_date: oldest path first;"
            " last_activity: the longest quiet first; attention: the most flags first."
        ),
    ] = "start_date",
    status: Annotated[PathStatus | None, Query(description="Only paths in this state.")] = None,
    flag: Annotated[Flag | None, Query(description="Only rows with this flag.")] = None,
    municipality: MunicipalityFilter = None,
    cohort: CohortFilter = None,
) -> list[CaseloadRow]:
    pool = runtime_of(request).require_pool()
    entries = await caseload_entries(
        pool, principal, status=status, municipality=municipality, cohort=cohort
    )
    today = helsinki_today()
    rows = [_row(entry, attention(entry.facts, today)) for entry in entries]
    if flag is not None:
        rows = [row for row in rows if flag in row.flags]
    rows.sort(key=_order(sort))
    # Every row shown is a read of that client's data, logged when the client first appears
    # on the reader's list; the list refreshing itself logs nobody again (decision 0024).
    shown = [(row.client_ref, row.pathway_id) for row in rows if row.client_ref is not None]
    await record_list_read(pool, principal, shown, "caseload")
    return rows


@router.get(
    "/caseload/stream",
    summary="Server-sent events: which caseload rows changed (read them from /caseload)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def caseload_stream(request: Request, principal: Staff) -> StreamingResponse:
    pool = runtime_of(request).require_pool()

    async def marks() -> dict[UUID, datetime]:
        return await change_marks(pool, principal)

    return StreamingResponse(
        caseload_events(marks),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
