"""The client's guidance meetings: what is asked for or agreed, and asking for one."""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from chassis.http_auth import page_router
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.guidance_client import GuidanceUnavailable
from services.tasks.web.guidance_view import guidance_for, guidance_view
from services.tasks.web.session import SignedIn, signed_in_client
from services.tasks.web.templating import render

router = page_router()
MEETINGS_PATH = "/tapaamiset"


async def meetings_page(
    request: Request, client: SignedIn, status: int = 200, error: str | None = None
) -> Response:
    """`error` is a catalogue key."""
    guidance = await guidance_view(request, client, feedback=False)
    curriculum = load_curriculum(client.plan.curriculum_version)
    titles = {task.task_id: task.title for task in curriculum.tasks}
    notice = "meeting.requested" if request.query_params.get("tallennettu") else None
    return render(
        request,
        "meetings.html",
        status=status,
        guidance=guidance,
        titles=titles,
        notice=notice,
        error=error,
        submission_id=uuid4(),
        path_status="ended" if client.plan.ended else ("paused" if client.plan.paused else None),
    )


@router.get(MEETINGS_PATH)
async def show_meetings(request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    return await meetings_page(request, client)


@router.post(MEETINGS_PATH)
async def request_meeting(
    request: Request,
    task_id: Annotated[str, Form(max_length=64)] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    if client.plan.ended:
        # An ended path is read-only on the client's pages (decision 0018).
        return await meetings_page(request, client, 409, "tasks.path_ended_short")
    curriculum = load_curriculum(client.plan.curriculum_version)
    about = task_id if curriculum.task(task_id) is not None else None
    try:
        # The form's submission id makes a double-clicked request one request.
        await guidance_for(request).request_meeting(
            client.plan.pathway_id, about, submission_id or str(uuid4())
        )
    except GuidanceUnavailable:
        return await meetings_page(request, client, 503, "meeting.request_failed")
    back = f"/tehtavat/{about}" if about else MEETINGS_PATH
    return RedirectResponse(f"{back}?tallennettu=tapaaminen", status_code=303)
