"""Erasing a client's data: an admin of the tenant orders it, by the client's pseudonym."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from chassis.auth import Principal
from chassis.clean_text import CleanText
from chassis.clock import helsinki_today
from chassis.commands import http_command
from chassis.http_auth import require_role
from services.enrolment.adapters.http_models import ErasureRequest, ErasureView
from services.enrolment.bootstrap import enrolment

router = APIRouter(prefix="/clients", tags=["erasure"])
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.post(
    "/{client_ref}/erasure",
    summary="Erase a client's identity and free text; their open path ends",
    responses={409: {"description": "The client's data was erased already."}},
)
async def erase_client(
    client_ref: Annotated[str, CleanText(200, min_length=1, single_line=True), Path()],
    body: ErasureRequest,
    request: Request,
    response: Response,
    principal: Admin,
) -> ErasureView:
    context = await http_command(request, principal, scope=f"erase-client:{client_ref}")
    erasure = enrolment(request).erasure
    erased = await erasure.erase(client_ref, body.reason, principal, context, helsinki_today())
    if erased.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    record = erased.value
    return ErasureView(
        client_ref=record.client_ref, erased_at=record.erased_at, pathway_ids=record.pathway_ids
    )
