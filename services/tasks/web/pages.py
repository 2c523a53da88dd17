"""The client's pages: home, a task, the direction choice; sign-in and language.

Server-rendered and usable without JavaScript (forms post and redirect); a small script only
adds draft autosave. Every form carries a submission id that becomes the command's
idempotency key, so a double-clicked submit stores one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from uuid import uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from chassis.clean_text import CleanText, TextRefused, clean, scrub
from chassis.clock import helsinki_now, helsinki_today
from chassis.commands import http_command
from chassis.errors import DomainError
from chassis.http import request_language, text_refusal
from chassis.http_auth import page_router
from chassis.service import runtime_of
from services.tasks.adapters.answer_texts import MAX_DRAFT_LENGTH, load_answer, load_draft
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.http_api import DIRECTION_REASON
from services.tasks.adapters.instrument_files import PRIMARY_INSTRUMENT, load_instruments
from services.tasks.domain.curriculum import DIRECTION_WEEK, WEEKS, Curriculum, Direction, Task
from services.tasks.domain.plan import MAX_ANSWER_LENGTH, Plan
from services.tasks.domain.self_assessment import change_by_area, phase_open
from services.tasks.web.guidance_view import guidance_view
from services.tasks.web.messages_view import unread_messages
from services.tasks.web.outage_page import AnswerFormRoute
from services.tasks.web.session import (
    SignedIn,
    keep_text_of_expired_session,
    refusal,
    signed_in_client,
)
from services.tasks.web.templating import render

router = page_router()


@dataclass(frozen=True)
class TaskItem:
    task: Task
    status: str  # open, done, waiting, help, late, answered


@dataclass
class HomeView:
    current_week: int
    completed: int
    total: int
    direction_due: bool
    this_week: list[TaskItem] = field(default_factory=list)
    late: list[TaskItem] = field(default_factory=list)
    earlier: list[TaskItem] = field(default_factory=list)
    baseline_due: bool = False
    final_due: bool = False
    paused: bool = False
    ended: bool = False


def task_status(plan: Plan, task: Task, today: datetime) -> str:
    if task.task_id in plan.completed:
        return "done"
    if task.task_id in plan.answered:
        if plan.help_requested.get(task.task_id):
            return "help"
        return "waiting" if task.requires_meeting else "answered"
    if plan.is_late(task.week, today.date()):
        return "late"
    return "open"


def home_view(plan: Plan, curriculum: Curriculum) -> HomeView:
    now = helsinki_now()
    current = plan.open_week(now.date())
    path_direction: Direction = plan.direction or "work"
    all_tasks = [
        t for w in range(1, WEEKS + 1) for t in curriculum.tasks_of_week(w, path_direction)
    ]
    view = HomeView(
        current_week=current,
        completed=sum(1 for t in all_tasks if t.task_id in plan.completed),
        total=len(all_tasks),
        # An ended path asks for nothing more, but for the final self-assessment (0018).
        direction_due=current >= DIRECTION_WEEK and plan.direction is None and not plan.ended,
        baseline_due=(PRIMARY_INSTRUMENT, "baseline") not in plan.assessments and not plan.ended,
        final_due=phase_open(plan, "final", now.date())
        and (PRIMARY_INSTRUMENT, "final") not in plan.assessments,
        paused=plan.paused and not plan.ended,
        ended=plan.ended,
    )
    for week in range(1, current + 1):
        for task in curriculum.tasks_of_week(week, plan.direction):
            if week > DIRECTION_WEEK and plan.direction is None:
                continue
            item = TaskItem(task, task_status(plan, task, now))
            if week == current:
                view.this_week.append(item)
            elif item.status == "late":
                view.late.append(item)
            else:
                view.earlier.append(item)
    return view


@router.get("/")
async def home(request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    curriculum = load_curriculum(client.plan.curriculum_version)
    view = home_view(client.plan, curriculum)
    return render(
        request,
        "home.html",
        view=view,
        tasks=view.this_week,
        week_info=curriculum.week(view.current_week),
        path_status=path_state(client.plan),
        unread_messages=await unread_messages(request, client),
    )


async def task_page(
    request: Request,
    client: SignedIn,
    task: Task,
    status: int = 200,
    error: str | None = None,
    text: str | None = None,
) -> Response:
    plan = client.plan
    pool = runtime_of(request).require_pool()
    today = helsinki_today()
    state = "open"
    if task.task_id in plan.answered and not plan.help_requested.get(task.task_id):
        state = "answered"
    elif plan.ended:
        state = "ended"  # read-only: what was answered stays to read, nothing more is taken
    elif task.week > plan.open_week(today):
        state = "not_open"
    draft = await load_draft(pool, plan.pathway_id, task.task_id) if state == "open" else None
    answer_id = plan.answered.get(task.task_id)
    notice = {
        "luonnos": "task.draft_saved",
        "vastaus": "task.answer_sent",
        "tapaaminen": "meeting.requested",
    }.get(request.query_params.get("tallennettu", ""))
    if request.query_params.get("istunto") == "vanhentunut":
        notice = "task.session_expired_draft_kept"
    guidance = await guidance_view(request, client)
    return render(
        request,
        "task.html",
        status=status,
        task=task,
        state=state,
        error=error,
        text=text if text is not None else (draft or ""),
        draft_saved=draft is not None,
        submission_id=uuid4(),
        limit=MAX_ANSWER_LENGTH,
        notice=notice,
        answer_text=await load_answer(pool, answer_id) if answer_id else None,
        help_requested=bool(plan.help_requested.get(task.task_id)),
        waiting_for_meeting=task.requires_meeting and task.task_id not in plan.completed,
        guidance=guidance,
        feedback=guidance.feedback_on(answer_id) if answer_id else [],
        meetings=guidance.meetings_about(task.task_id),
        path_status=path_state(plan),
    )


def find_task(client: SignedIn, task_id: str) -> Task | None:
    task = load_curriculum(client.plan.curriculum_version).task(task_id)
    if task is None or (task.week > DIRECTION_WEEK and not task.belongs_to(client.plan.direction)):
        return None
    return task


@router.get("/tehtavat/{task_id}")
async def show_task(task_id: str, request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    task = find_task(client, task_id)
    if task is None:
        return refusal(request, 404, "tasks.unknown_task")
    return await task_page(request, client, task)


async def post_task(
    task_id: str,
    request: Request,
    action: Annotated[str, Form()] = "submit",
    # No max_length here: a refusal must come back as the page with the text in its box
    # (the request size limit bounds it; clean() words the field's own limit).
    text: Annotated[str, Form()] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        # A session that ran out while they wrote: keep the text as their draft first.
        await keep_text_of_expired_session(request, task_id, scrub(text, ANSWER_BOX))
        return client
    task = find_task(client, task_id)
    if task is None:
        return refusal(request, 404, "tasks.unknown_task")
    try:
        text = clean(text, ANSWER_BOX)
    except TextRefused as refused:
        message = text_refusal(runtime_of(request).catalogue, request_language(request), refused)
        return await task_page(request, client, task, status=422, error=message, text=text)
    commands = client.parts.commands
    pathway_id = client.plan.pathway_id
    try:
        if action == "draft":
            await commands.save_draft(pathway_id, task_id, text, client.principal)
            return RedirectResponse(f"/tehtavat/{task_id}?tallennettu=luonnos", status_code=303)
    except DomainError as refused:
        return await refused_task(request, client, task, refused, text)
    kind = "needs_help" if action == "help" else "answer"
    context = await http_command(request, client.principal, scope=f"answer:{pathway_id}:{task_id}")
    try:
        await commands.answer(
            client.plan.pathway_id,
            task_id,
            text,
            kind,
            client.principal,
            context,
            helsinki_now(),
            helsinki_today(),
        )
    except DomainError as refused:
        # Nothing the client wrote is lost: it stays in the box and as their draft.
        if text and not client.plan.ended:
            await commands.save_draft(pathway_id, task_id, text, client.principal)
        return await refused_task(request, client, task, refused, text)
    return RedirectResponse(f"/tehtavat/{task_id}?tallennettu=vastaus", status_code=303)


# During an outage the form comes back with the text (AnswerFormRoute), not a bare error.
router.add_api_route(
    "/tehtavat/{task_id}", post_task, methods=["POST"], route_class_override=AnswerFormRoute
)


async def refused_task(
    request: Request, client: SignedIn, task: Task, refused: DomainError, text: str
) -> Response:
    message = runtime_of(request).catalogue.text(
        refused.code, request_language(request), **refused.params
    )
    return await task_page(request, client, task, status=refused.status, error=message, text=text)


def path_state(plan: Plan) -> str | None:
    """What the pages say about the whole path: "ended", "paused" or nothing."""
    if plan.ended:
        return "ended"
    return "paused" if plan.paused else None


# What the answer box keeps: a draft may grow past the answer's limit; sending it may not.
DRAFT_TEXT = CleanText(MAX_DRAFT_LENGTH, label="tasks.field.draft")
# The page's answer box holds as much as a draft; the person knows it as their answer.
ANSWER_BOX = CleanText(MAX_DRAFT_LENGTH, label="tasks.field.answer")


class DraftBody(BaseModel):
    text: Annotated[str, DRAFT_TEXT]


@router.put("/tehtavat/{task_id}/luonnos", status_code=204)
async def autosave(task_id: str, body: DraftBody, request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return Response(status_code=401)
    if find_task(client, task_id) is None:
        return Response(status_code=404)
    try:
        await client.parts.commands.save_draft(
            client.plan.pathway_id, task_id, body.text, client.principal
        )
    except DomainError as refused:
        return Response(status_code=refused.status)
    return Response(status_code=204)


@router.get("/suunta")
async def direction_page(request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    return render(
        request,
        "direction.html",
        chosen=client.plan.direction,
        submission_id=uuid4(),
        reason="",
        path_status=path_state(client.plan),
    )


@router.post("/suunta")
async def choose_direction(
    request: Request,
    direction: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    submission_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    catalogue = runtime_of(request).catalogue
    try:
        reason = clean(reason, DIRECTION_REASON)
    except TextRefused as refused:
        return render(
            request,
            "direction.html",
            status=422,
            chosen=client.plan.direction,
            reason=reason,
            submission_id=uuid4(),
            error=text_refusal(catalogue, request_language(request), refused),
        )
    chosen: Direction
    if direction == "work":
        chosen = "work"
    elif direction == "education":
        chosen = "education"
    else:
        return render(
            request,
            "direction.html",
            status=422,
            chosen=None,
            reason=reason,
            submission_id=uuid4(),
            error=catalogue.text("direction.missing", request_language(request)),
        )
    context = await http_command(
        request, client.principal, scope=f"direction:{client.plan.pathway_id}"
    )
    try:
        await client.parts.commands.choose(
            client.plan.pathway_id,
            chosen,
            reason,
            client.principal,
            context,
            helsinki_now(),
            helsinki_today(),
        )
    except DomainError as refused:
        return render(
            request,
            "direction.html",
            status=refused.status,
            chosen=client.plan.direction,
            reason=reason,
            submission_id=uuid4(),
            error=catalogue.text(refused.code, request_language(request), **refused.params),
            path_status=path_state(client.plan),
        )
    return RedirectResponse("/suunta", status_code=303)


@router.get("/itsearvio/muutos")
async def assessment_change(request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    changes = []
    for instrument in load_instruments().values():
        if instrument.visibility != "individual":
            continue  # group-only instruments are never shown to anyone individually
        baseline = client.plan.assessments.get((instrument.instrument_id, "baseline"))
        final = client.plan.assessments.get((instrument.instrument_id, "final"))
        if baseline and final:
            changes += change_by_area(instrument, baseline, final)
    return render(request, "assessment_change.html", changes=changes)


@router.get("/itsearvio/{phase}")
async def assessment_page(phase: str, request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    if phase not in ("baseline", "final"):
        return refusal(request, 404, "error.not_found")
    return assessment_form(request, client, phase)


def assessment_form(
    request: Request,
    client: SignedIn,
    phase: str,
    status: int = 200,
    error: str | None = None,
    answers: dict[str, str] | None = None,
) -> Response:
    instruments = list(load_instruments().values())
    given = all((i.instrument_id, phase) in client.plan.assessments for i in instruments)
    return render(
        request,
        "self_assessment.html",
        status=status,
        phase=phase,
        instruments=instruments,
        given=given,
        error=error,
        answers=answers or {},
        submission_id=uuid4(),
        path_status=path_state(client.plan),
        # An ended path takes only the final self-assessment, once its phase is open (0018).
        closed=client.plan.ended
        and not (phase == "final" and phase_open(client.plan, "final", helsinki_today())),
    )


@router.post("/itsearvio/{phase}")
async def submit_assessment(phase: str, request: Request) -> Response:
    client = await signed_in_client(request)
    if not isinstance(client, SignedIn):
        return client
    if phase not in ("baseline", "final"):
        return refusal(request, 404, "error.not_found")
    form = await request.form()
    answers = {key: str(value) for key, value in form.items() if ":" in key}
    scores: dict[str, dict[str, int]] = {}
    for key, value in answers.items():
        instrument_id, _, item_id = key.partition(":")
        if value.isdigit():
            scores.setdefault(instrument_id, {})[item_id] = int(value)
    context = await http_command(
        request, client.principal, scope=f"assessment:{client.plan.pathway_id}:{phase}"
    )
    try:
        await client.parts.commands.self_assess(
            client.plan.pathway_id,
            "final" if phase == "final" else "baseline",
            scores,
            client.principal,
            context,
            helsinki_now(),
            helsinki_today(),
        )
    except DomainError as refused:
        message = runtime_of(request).catalogue.text(
            refused.code, request_language(request), **refused.params
        )
        return assessment_form(request, client, phase, refused.status, message, answers)
    return RedirectResponse("/itsearvio/muutos" if phase == "final" else "/", status_code=303)
