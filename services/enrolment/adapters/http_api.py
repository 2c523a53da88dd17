"""Enrolment's HTTP API: counselors open and manage paths.

Every command takes an `Idempotency-Key` (a retry returns the first result with
`Idempotent-Replayed: true`) and an optional `If-Match` with the version last seen (409 when
the path has moved on). Only the path's counselors and the tenant's admins reach a path; to
anyone else it does not exist (404). Managers and clients are refused (403).
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from uuid6 import uuid7

from chassis.access_log import record_list_read, record_read
from chassis.auth import Principal
from chassis.clock import helsinki_today
from chassis.commands import http_command
from chassis.http_auth import require_role
from services.enrolment.adapters.http_models import (
    AssignCounselorRequest,
    CompleteRequest,
    DiscontinueRequest,
    OpenedView,
    OpenPathwayRequest,
    PathwayListView,
    PathwayState,
    PathwayView,
    PauseRequest,
    ResumeRequest,
    listed_view,
    read_view,
    state_view,
)
from services.enrolment.bootstrap import Enrolment, enrolment
from services.enrolment.domain.client_identity import ClientIdentity
from services.enrolment.domain.commands import (
    AssignCounselor,
    Complete,
    Discontinue,
    PathCommand,
    Pause,
    Resume,
)
from services.enrolment.domain.identity_code import normalise_identity_code
from services.enrolment.domain.pathway import PathOpening

router = APIRouter(prefix="/pathways", tags=["pathways"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
Parts = Annotated[Enrolment, Depends(enrolment)]
ListedStatus = Literal["active", "paused", "completed", "discontinued"]
AfterPathway = Annotated[UUID | None, Query(description="The last pathway_id of the page before.")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Open a path for a client",
    responses={409: {"description": "The client already has a path running or paused."}},
)
async def open_path(
    body: OpenPathwayRequest, request: Request, response: Response, principal: Staff, parts: Parts
) -> OpenedView:
    identity_code = normalise_identity_code(body.personal_identity_code)
    opening = PathOpening(
        pathway_id=uuid7(),
        municipality=body.municipality,
        unit=body.unit,
        cohort=body.cohort,
        start_date=body.start_date,
        counselor_ids=body.counselor_ids or [principal.subject],
        suitability=body.suitability.model_dump(),
    )
    identity = ClientIdentity(body.first_name, body.last_name, identity_code)
    context = await http_command(request, principal, scope="open-pathway")
    opened = await parts.commands.open(opening, identity, principal, context, helsinki_today())
    if opened.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/pathways/{opened.value.pathway_id}"
    return OpenedView(pathway_id=opened.value.pathway_id, client_ref=opened.value.client_ref)


@router.get("", summary="The caller's paths (an admin's: the whole tenant's), with names")
async def list_paths(
    principal: Staff,
    parts: Parts,
    status_: Annotated[ListedStatus | None, Query(alias="status")] = None,
    after: AfterPathway = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PathwayListView:
    listed = await parts.queries.paths_of(principal, status_, after, limit)
    # Logged when a client first appears on the reader's list (decision 0024): guidance's
    # caseload asks for the names on every refresh.
    shown = [(path.row.client_ref, path.row.pathway_id) for path in listed]
    await record_list_read(parts.pool, principal, shown, "pathway_list")
    return PathwayListView(
        items=[listed_view(path) for path in listed],
        next_after=listed[-1].row.pathway_id if len(listed) == limit else None,
    )


@router.get("/{pathway_id}", summary="A path and its client, as the path's counselor sees it")
async def get_path(
    pathway_id: UUID, response: Response, principal: Staff, parts: Parts
) -> PathwayView:
    read = await parts.queries.pathway(pathway_id, principal)
    await record_read(
        parts.pool,
        principal,
        read.pathway.client_ref,
        "pathway",
        pathway_id,
    )
    response.headers["ETag"] = f'"{read.pathway.version}"'
    return read_view(read)


async def _command(
    pathway_id: UUID,
    command: PathCommand,
    scope: str,
    request: Request,
    response: Response,
    principal: Principal,
) -> PathwayState:
    context = await http_command(request, principal, scope=f"{scope}:{pathway_id}")
    parts = enrolment(request)
    decided = await parts.commands.on_path(
        pathway_id, command, principal, context, helsinki_today()
    )
    if decided.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["ETag"] = f'"{decided.value.version}"'
    return state_view(decided.value)


@router.post("/{pathway_id}/pause", summary="Pause a path; its coming weeks wait")
async def pause(
    pathway_id: UUID, body: PauseRequest, request: Request, response: Response, principal: Staff
) -> PathwayState:
    command = Pause(body.paused_on or helsinki_today(), body.until, body.reason)
    return await _command(pathway_id, command, "pause", request, response, principal)


@router.post("/{pathway_id}/resume", summary="Resume a paused path")
async def resume(
    pathway_id: UUID, body: ResumeRequest, request: Request, response: Response, principal: Staff
) -> PathwayState:
    command = Resume(body.resumed_on or helsinki_today())
    return await _command(pathway_id, command, "resume", request, response, principal)


@router.post("/{pathway_id}/complete", summary="Mark a running path completed")
async def complete(
    pathway_id: UUID,
    request: Request,
    response: Response,
    principal: Staff,
    body: CompleteRequest | None = None,
) -> PathwayState:
    completed_on = body.completed_on if body else None
    command = Complete(completed_on or helsinki_today())
    return await _command(pathway_id, command, "complete", request, response, principal)


@router.post("/{pathway_id}/discontinue", summary="End a path early, for a reason from the list")
async def discontinue(
    pathway_id: UUID,
    body: DiscontinueRequest,
    request: Request,
    response: Response,
    principal: Staff,
) -> PathwayState:
    command = Discontinue(body.reason, body.discontinued_on or helsinki_today())
    return await _command(pathway_id, command, "discontinue", request, response, principal)


@router.post("/{pathway_id}/counselors", summary="Add a counselor, or put one in another's place")
async def assign_counselor(
    pathway_id: UUID,
    body: AssignCounselorRequest,
    request: Request,
    response: Response,
    principal: Staff,
) -> PathwayState:
    command = AssignCounselor(body.counselor_id, body.replaces)
    return await _command(pathway_id, command, "assign-counselor", request, response, principal)
