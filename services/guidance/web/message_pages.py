"""A path's thread with its client, on the counselor's pages (decision 0041).

Reading it marks the client's messages read and is written to the access log (in
`MessageCommands.read`); an answer is a plain form, sent once by its `submission_id`, and the
page comes back by POST-redirect-GET. A refused answer comes back in its box.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from chassis.auth import Principal
from chassis.clean_text import TextRefused, clean
from chassis.clock import helsinki_now
from chassis.commands import http_command
from chassis.errors import DomainError
from chassis.http import request_language, text_refusal
from chassis.http_auth import page_router
from chassis.service import runtime_of
from services.guidance.adapters.messages_api import MESSAGE_TEXT
from services.guidance.bootstrap import guidance
from services.guidance.domain.messages import MAX_MESSAGE_LENGTH
from services.guidance.web.session import refusal, signed_in_staff
from services.guidance.web.templating import render

router = page_router()


def thread_path(pathway_id: UUID) -> str:
    return f"/asiakkaat/{pathway_id}/viestit"


async def thread_page(
    request: Request,
    principal: Principal,
    pathway_id: UUID,
    status: int = 200,
    error: str | None = None,
    kept: str = "",
) -> Response:
    try:
        thread = await guidance(request).messages.read(pathway_id, principal, helsinki_now())
    except DomainError as refused:
        return refusal(request, refused.status, refused.code)
    return render(
        request,
        "messages.html",
        status=status,
        pathway_id=pathway_id,
        thread=thread,
        error=error,
        kept=kept,
        sent=request.query_params.get("lahetetty") == "1",
        max_length=MAX_MESSAGE_LENGTH,
        submission_id=uuid4(),
    )


@router.get("/asiakkaat/{pathway_id}/viestit")
async def show_thread(pathway_id: UUID, request: Request) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    return await thread_page(request, principal, pathway_id)


@router.post("/asiakkaat/{pathway_id}/viestit")
async def answer(
    pathway_id: UUID,
    request: Request,
    # No max_length on a page's text: a refusal must show the page with the text kept.
    text: Annotated[str, Form()] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    context = await http_command(request, principal, scope=f"message:{pathway_id}")
    try:
        cleaned = clean(text, MESSAGE_TEXT)
        await guidance(request).messages.write(
            pathway_id, cleaned, principal, context, helsinki_now()
        )
    except DomainError as refused:
        if refused.status in (403, 404):  # not their thread: as if it did not exist
            return refusal(request, refused.status, refused.code)
        message = runtime_of(request).catalogue.text(
            refused.code, request_language(request), **refused.params
        )
        return await thread_page(request, principal, pathway_id, refused.status, message, text)
    except TextRefused as refused:
        message = text_refusal(runtime_of(request).catalogue, request_language(request), refused)
        return await thread_page(request, principal, pathway_id, 422, message, text)
    return RedirectResponse(f"{thread_path(pathway_id)}?lahetetty=1#viesti", status_code=303)
