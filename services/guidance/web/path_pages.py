"""Opening a client's path, and the path's lifecycle, from the counselor's pages.

The path is enrolment's: these pages send its commands to enrolment's API with the
counselor's own token, and show enrolment's own explanation when it refuses (a wrong identity
code, a second open path, a start date too far back), with what the counselor typed kept.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from chassis.auth import Principal
from chassis.clock import helsinki_today
from chassis.http import request_language
from chassis.http_auth import page_router
from services.guidance.web.peer_services import PeerServices, PeerUnavailable, Registries
from services.guidance.web.session import refusal, signed_in_staff
from services.guidance.web.templating import render
from services.guidance.web.timeline_pages import timeline_page

router = page_router()
NEW_PATH = "/polut/uusi"
CRITERIA = ("life_management", "digital_skills", "self_assessment_ability", "strong_identification")
# The page's Finnish path segment → enrolment's command.
PATH_COMMANDS = {
    "tauko": "pause",
    "jatko": "resume",
    "valmis": "complete",
    "keskeytys": "discontinue",
}


async def open_path_form(
    request: Request, status: int = 200, error: str | None = None, **values: object
) -> Response:
    """The form; municipality, unit and cohort are chosen from the tenant's registries (typed
    as codes only while enrolment cannot be asked for them)."""
    try:
        registries: Registries | None = await PeerServices.for_request(request).registries(
            request_language(request)
        )
    except PeerUnavailable:
        registries = None
    return render(
        request,
        "open_path.html",
        status=status,
        error=error,
        criteria=CRITERIA,
        registries=registries,
        values={"start_date": helsinki_today().isoformat(), **values},
        submission_id=values.get("submission_id") or uuid4(),
    )


@router.get(NEW_PATH)
async def new_path(request: Request) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    return await open_path_form(request)


@router.post(NEW_PATH)
async def open_path(
    request: Request,
    # Names are judged by enrolment, whose refusal shows on this page with the form kept.
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    personal_identity_code: Annotated[str, Form(max_length=20)] = "",
    municipality: Annotated[str, Form(max_length=100)] = "",
    unit: Annotated[str, Form(max_length=100)] = "",
    cohort: Annotated[str, Form(max_length=100)] = "",
    start_date: Annotated[str, Form(max_length=10)] = "",
    confirmed: Annotated[list[str] | None, Form()] = None,
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    typed = {
        "first_name": first_name,
        "last_name": last_name,
        "personal_identity_code": personal_identity_code,
        "municipality": municipality,
        "unit": unit,
        "cohort": cohort,
        "start_date": start_date,
        "confirmed": confirmed or [],
        "submission_id": submission_id,
    }
    try:
        starts = date.fromisoformat(start_date)
    except ValueError:
        return await open_path_form(request, 422, "workspace.start_date_invalid", **typed)
    body = {
        "first_name": first_name,
        "last_name": last_name,
        "personal_identity_code": personal_identity_code.strip().upper(),
        "municipality": municipality,
        "unit": unit,
        "cohort": cohort,
        "start_date": starts.isoformat(),
        "suitability": {name: name in (confirmed or []) for name in CRITERIA},
    }
    try:
        result = await PeerServices.for_request(request).open_path(
            body, submission_id or str(uuid4()), request_language(request)
        )
    except PeerUnavailable:
        return await open_path_form(request, 503, "workspace.peer_unavailable", **typed)
    if not result.accepted:
        return await open_path_form(request, result.status, None, detail=result.detail, **typed)
    # The caseload row appears once guidance has the event; the list updates by itself.
    return RedirectResponse("/?avattu=1", status_code=303)


@router.post("/asiakkaat/{pathway_id}/polku/{action}")
async def path_command(
    pathway_id: UUID,
    action: str,
    request: Request,
    reason: Annotated[str, Form(max_length=32)] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Pause, resume, complete or discontinue the path (enrolment decides)."""
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    commands = {
        "tauko": "pause",
        "jatko": "resume",
        "valmis": "complete",
        "keskeytys": "discontinue",
    }
    if action not in commands:
        return refusal(request, 404, "error.not_found")
    body = {"reason": reason} if action in ("tauko", "keskeytys") and reason else {}
    return await _send(request, principal, pathway_id, PATH_COMMANDS[action], body, submission_id)


async def _send(
    request: Request,
    principal: Principal,
    pathway_id: UUID,
    command: str,
    body: dict[str, Any],
    submission_id: str,
) -> Response:
    """Send one of the path's commands to enrolment; its refusal shows on the timeline."""
    try:
        result = await PeerServices.for_request(request).path_command(
            pathway_id, command, body, submission_id or str(uuid4()), request_language(request)
        )
    except PeerUnavailable:
        return refusal(request, 503, "workspace.peer_unavailable")
    if not result.accepted:
        return await timeline_page(request, principal, pathway_id, result.status, result.detail)
    return RedirectResponse(f"/asiakkaat/{pathway_id}?tallennettu=polku", status_code=303)


@router.post("/asiakkaat/{pathway_id}/ohjaajat")
async def assign_counselor(
    pathway_id: UUID,
    request: Request,
    counselor_id: Annotated[str, Form(max_length=100)] = "",
    replaces: Annotated[str, Form(max_length=100)] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Add a counselor to the path, or put one in another's place (enrolment decides)."""
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    body = {"counselor_id": counselor_id.strip(), "replaces": replaces.strip() or None}
    return await _send(request, principal, pathway_id, "counselors", body, submission_id)


@router.post("/asiakkaat/{pathway_id}/poisto")
async def erase_client(
    pathway_id: UUID,
    request: Request,
    client_ref: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form()] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """An admin erases the client's identity and words from every service (enrolment orders)."""
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    try:
        result = await PeerServices.for_request(request).erase_client(
            client_ref, reason, submission_id or str(uuid4()), request_language(request)
        )
    except PeerUnavailable:
        return refusal(request, 503, "workspace.peer_unavailable")
    if not result.accepted:
        kept = {"poiston-syy": reason}
        return await timeline_page(
            request, principal, pathway_id, result.status, result.detail, kept
        )
    return RedirectResponse("/?poistettu=1", status_code=303)
