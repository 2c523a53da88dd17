"""Enrolment's HTTP API: counselors open and manage paths."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from uuid6 import uuid7

from chassis.auth import Principal
from chassis.clock import helsinki_today
from chassis.commands import command_context, expected_version
from chassis.http_auth import require_role
from chassis.pseudonym import client_ref_for
from chassis.service import runtime_of
from chassis.streams import EventStreams
from services.enrolment.application.handlers import EnrolmentHandlers
from services.enrolment.domain.identity_code import normalise_identity_code
from services.enrolment.domain.pathway import OpenPathway, Pathway

router = APIRouter(prefix="/pathways", tags=["pathways"])
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]


class Suitability(BaseModel):
    """The four suitability criteria; the counselor confirms each one."""

    model_config = ConfigDict(extra="forbid")

    life_management: bool = Field(False, description="Riittävät elämänhallintataidot.")
    digital_skills: bool = Field(False, description="Auttavat digitaidot.")
    self_assessment_ability: bool = Field(False, description="Kykenee arvioimaan tilannettaan.")
    strong_identification: bool = Field(
        False, description="Mahdollisuus vahvaan tunnistautumiseen."
    )


class OpenPathwayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personal_identity_code: str = Field(min_length=11, max_length=11)
    municipality: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=100)
    cohort: str = Field(min_length=1, max_length=100)
    start_date: date
    counselor_ids: list[str] | None = Field(
        None, description="Counselors of the path; the caller when left out."
    )
    suitability: Suitability


class PathwayView(BaseModel):
    pathway_id: UUID
    client_ref: str
    status: str
    start_date: date | None
    counselor_ids: list[str]
    version: int


def handlers(request: Request) -> EnrolmentHandlers:
    return EnrolmentHandlers(EventStreams(runtime_of(request).require_store()))


def view(pathway: Pathway) -> PathwayView:
    return PathwayView(
        pathway_id=pathway.pathway_id,
        client_ref=pathway.client_ref,
        status=pathway.status,
        start_date=pathway.start_date,
        counselor_ids=pathway.counselor_ids,
        version=pathway.version,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Open a path for a client")
async def open_path(
    body: OpenPathwayRequest, request: Request, response: Response, principal: Staff
) -> dict[str, str]:
    runtime = runtime_of(request)
    identity_code = normalise_identity_code(body.personal_identity_code)
    client_ref = client_ref_for(
        identity_code, principal.tenant, runtime.settings.pseudonym_key.encode()
    )
    command = OpenPathway(
        pathway_id=uuid7(),
        client_ref=client_ref,
        municipality=body.municipality,
        unit=body.unit,
        cohort=body.cohort,
        start_date=body.start_date,
        counselor_ids=body.counselor_ids or [principal.subject],
        suitability=body.suitability.model_dump(),
    )
    context = command_context(request, principal, scope="open-pathway")
    opened = await handlers(request).open(command, context, helsinki_today())
    if opened.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/pathways/{opened.pathway_id}"
    return {"pathway_id": str(opened.pathway_id), "client_ref": client_ref}


@router.get("/{pathway_id}", summary="A path as its counselor sees it")
async def get_path(pathway_id: UUID, request: Request, principal: Staff) -> PathwayView:
    return view(await handlers(request).load_visible(pathway_id, principal))


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paused_on: date | None = Field(None, description="First day of the pause; today if left out.")
    until: date | None = Field(None, description="Planned last day, if known.")


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resumed_on: date | None = Field(None, description="The day it goes on; today if left out.")


@router.post("/{pathway_id}/pause", summary="Pause a path; its coming weeks wait")
async def pause(
    pathway_id: UUID, body: PauseRequest, request: Request, principal: Staff
) -> PathwayView:
    today = helsinki_today()
    context = command_context(request, principal, scope=f"pause:{pathway_id}")
    paused = await handlers(request).pause(
        pathway_id,
        body.paused_on or today,
        body.until,
        principal,
        context,
        today,
        expected_version(request),
    )
    return view(paused)


@router.post("/{pathway_id}/resume", summary="Resume a paused path")
async def resume(
    pathway_id: UUID, body: ResumeRequest, request: Request, principal: Staff
) -> PathwayView:
    today = helsinki_today()
    context = command_context(request, principal, scope=f"resume:{pathway_id}")
    resumed = await handlers(request).resume(
        pathway_id, body.resumed_on or today, principal, context, today, expected_version(request)
    )
    return view(resumed)
