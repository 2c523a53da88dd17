"""The client's thread with their counselors (decision 0041): read it, and write to it from the
week page or a task ("Kysy ohjaajalta"). Guidance keeps the thread; this page calls it with
the client's own token, like the meeting page (decision 0007).

Without JavaScript it is a plain form with POST-redirect-GET; `message_outbox.js` adds that a
message typed while the connection is gone stays on the device and is sent when it returns.
"""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from chassis.clean_text import CleanText, TextRefused, clean
from chassis.http import request_language, text_refusal
from chassis.http_auth import page_router
from chassis.service import runtime_of
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.guidance_client import GuidanceUnavailable
from services.tasks.adapters.guidance_messages import MessageRefused, Thread
from services.tasks.web.messages_view import messages_for
from services.tasks.web.pages import path_state
from services.tasks.web.session import SignedIn, signed_in_client
from services.tasks.web.templating import render

router = page_router()
MESSAGES_PATH = "/viestit"
# Guidance's own limit (services/guidance/domain/messages.py): refused here first, in words,
# with the text kept in its box.
MAX_MESSAGE_LENGTH = 2000
MESSAGE_TEXT = CleanText(MAX_MESSAGE_LENGTH, label="messages.field")


def _about(client: SignedIn, task_id: str | None, lang: str) -> tuple[str, str] | None:
    """The task a message asks about (its id and title), if it is one of the plan's."""
    if not task_id:
        return None
    task = load_curriculum(client.plan.curriculum_version).task(task_id)
    if task is None:
        return None
    return task.task_id, task.title.get(lang) or task.title.get("fi", "")


async def thread_page(
    request: Request,
    client: SignedIn,
    status: int = 200,
    error: str | None = None,
    kept: str = "",
    task_id: str | None = None,
) -> Response:
    """`error` is a sentence already in the client's language."""
    thread: Thread | None
    try:
        thread = await messages_for(request).thread(client.plan.pathway_id)
    except GuidanceUnavailable:
        thread = None
    sent = request.query_params.get("lahetetty") == "1"
    return render(
        request,
        "messages.html",
        status=status,
        thread=thread,
        error=error,
        kept=kept,
        sent=sent,
        about=_about(client, task_id, request_language(request)),
        max_length=MAX_MESSAGE_LENGTH,
        path_status=path_state(client.plan),
        submission_id=uuid4(),
    )


@router.get(MESSAGES_PATH)
async def show_thread(request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    return await thread_page(request, client, task_id=request.query_params.get("tehtava"))


@router.post(MESSAGES_PATH)
async def write_message(
    request: Request,
    # No max_length on a page's text: a refusal must show the page with the text kept.
    text: Annotated[str, Form()] = "",
    task_id: Annotated[str, Form(max_length=64)] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    catalogue = runtime_of(request).catalogue
    lang = request_language(request)

    async def again(status: int, error: str) -> Response:
        return await thread_page(request, client, status, error, text, task_id or None)

    if client.plan.ended:
        # An ended path is read-only on the client's pages (decision 0018).
        return await again(409, catalogue.text("messages.path_ended", lang))
    try:
        cleaned = clean(text, MESSAGE_TEXT)
    except TextRefused as refused:
        return await again(422, text_refusal(catalogue, lang, refused))
    about = _about(client, task_id, lang)
    if about is not None:
        # The counselor sees which task the question is about, in the client's own words.
        cleaned = f"{catalogue.text('messages.about_task', lang, task=about[1])}\n{cleaned}"
    try:
        # The form's submission id makes a message sent twice (a double click, or the page's
        # script sending again after the connection came back) one message.
        await messages_for(request).write(
            client.plan.pathway_id, cleaned, submission_id or str(uuid4()), lang
        )
    except MessageRefused as refused:
        return await again(refused.status, refused.detail)
    except GuidanceUnavailable:
        return await again(503, catalogue.text("messages.send_failed", lang))
    return RedirectResponse(f"{MESSAGES_PATH}?lahetetty=1#viestit", status_code=303)
