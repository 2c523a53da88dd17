"""The answer form again when the service cannot reach its database (decision 0028).

Nothing here may need the database: neither who is signed in nor their plan can be read
during an outage. So the page is built from the request alone: the task from the current
curriculum, the text the client sent, and the same submission id, so that sending the form
again cannot store the answer twice if the first attempt did reach the store after all.
The page's script keeps the text on the device and saves it as a draft once the service
answers again.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID, uuid4

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from chassis.clean_text import scrub
from chassis.outages import RETRY_AFTER_SECONDS, is_outage
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.domain.plan import MAX_ANSWER_LENGTH
from services.tasks.web.templating import render


class AnswerFormRoute(APIRoute):
    """The answer form's route: an outage anywhere in it, also in the session lookup every
    page route makes before its body runs, answers with the form and the text in it.

    A route class, because only the route's own request holds the form FastAPI has read;
    an exception handler gets a fresh request whose body is gone.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer_or_outage(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                form = await request.form()  # already read: FastAPI keeps it on the request
                return outage_task_page(
                    request,
                    str(request.path_params.get("task_id", "")),
                    str(form.get("text") or ""),
                    str(form.get("submission_id") or ""),
                )

        return answer_or_outage


def outage_task_page(request: Request, task_id: str, text: str, submission_id: str) -> Response:
    """503 with the form and the text in it; Retry-After says when to try again."""
    # Imported here: the pages import this module for their route.
    from services.tasks.web.pages import ANSWER_BOX

    response = render(
        request,
        "task_outage.html",
        status=503,
        task=load_curriculum().task(task_id),
        task_id=task_id,
        text=scrub(text, ANSWER_BOX),
        submission_id=_same_or_new(submission_id),
        limit=MAX_ANSWER_LENGTH,
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _same_or_new(submission_id: str) -> str:
    try:
        return str(UUID(submission_id))
    except ValueError:
        return str(uuid4())
