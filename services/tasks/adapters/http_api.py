"""Tasks' HTTP API: the client's plan, answers and direction; counselors open weeks early."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from chassis.access_log import record_read
from chassis.auth import Principal
from chassis.clean_text import CleanText
from chassis.clock import helsinki_now, helsinki_today
from chassis.commands import http_command
from chassis.errors import NotFound
from chassis.http_auth import require_role
from chassis.service import runtime_of
from services.tasks.adapters.answer_texts import load_answers_of, load_direction_reason
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.adapters.plan_access import find_client_plan
from services.tasks.bootstrap import tasks
from services.tasks.domain.curriculum import WEEKS, Direction
from services.tasks.domain.plan import MAX_ANSWER_LENGTH, Plan
from services.tasks.domain.schedule import moved_opening_date
from services.tasks.domain.self_assessment import Phase, side_by_side

router = APIRouter(tags=["plan"])
# The direction page's textarea takes as many.
MAX_REASON_LENGTH = 1000
ANSWER_TEXT = CleanText(
    MAX_ANSWER_LENGTH, label="tasks.field.answer", hard_limit=MAX_ANSWER_LENGTH * 2
)
DIRECTION_REASON = CleanText(MAX_REASON_LENGTH, label="tasks.field.direction_reason")
Client = Annotated[Principal, Depends(require_role("client"))]
Staff = Annotated[Principal, Depends(require_role("counselor", "admin"))]
# The path's client and its counselors; a manager sees only aggregates (403 here).
ClientOrStaff = Annotated[Principal, Depends(require_role("client", "counselor", "admin"))]


class AnswerRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Haluaisin oppia käyttämään taulukkolaskentaa.", "kind": "answer"}
            ]
        },
    )

    # Up to twice the limit gets through, so that a little too long is told in words (the
    # domain's refusal names the limit and says the draft is kept).
    text: Annotated[str, ANSWER_TEXT] = Field(
        "", description=f"The answer, at most {MAX_ANSWER_LENGTH} characters."
    )
    kind: Literal["answer", "needs_help"] = Field(
        "answer", description="'needs_help': the client could not do it and asks for guidance."
    )


class DirectionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"direction": "education", "reason": "Haluan opiskella lähihoitajaksi."}]
        },
    )

    direction: Direction
    reason: Annotated[str, DIRECTION_REASON] = Field(
        "", description=f"Why this direction, at most {MAX_REASON_LENGTH} characters."
    )


class TaskView(BaseModel):
    task_id: str
    title: str
    requires_meeting: bool
    answered: bool
    completed: bool
    late: bool


class WeekView(BaseModel):
    week: int
    open: bool
    tasks: list[TaskView]


class PlanView(BaseModel):
    pathway_id: UUID
    version: int
    curriculum_version: str
    current_week: int
    weeks_recorded_open: int = Field(description="The latest week a WeekOpened recorded.")
    paused: bool
    ended_on: date | None = Field(
        None, description="The day the path was completed or discontinued; null while it goes on."
    )
    next_week_opens_on: date | None = Field(
        description="When the calendar opens the next week; null while paused, once all are"
        " open or once the path has ended."
    )
    direction: Direction | None
    weeks: list[WeekView]


def plan_view(plan: Plan, lang: str) -> PlanView:
    today = helsinki_today()
    curriculum = load_curriculum(plan.curriculum_version)
    open_week = plan.open_week(today)
    assert plan.start_date is not None
    next_opens_on = (
        moved_opening_date(plan.start_date, open_week + 1, plan.pauses)
        if open_week < WEEKS and not plan.ended
        else None
    )
    weeks = []
    for week in range(1, WEEKS + 1):
        tasks = [
            TaskView(
                task_id=task.task_id,
                title=task.title.get(lang, task.title["fi"]),
                requires_meeting=task.requires_meeting,
                answered=task.task_id in plan.answered,
                completed=task.task_id in plan.completed,
                late=week <= open_week
                and task.task_id not in plan.answered
                and plan.is_late(week, today),
            )
            for task in curriculum.tasks_of_week(week, plan.direction)
        ]
        weeks.append(WeekView(week=week, open=week <= open_week, tasks=tasks))
    return PlanView(
        pathway_id=plan.pathway_id,
        version=plan.version,
        curriculum_version=plan.curriculum_version,
        current_week=open_week,
        weeks_recorded_open=plan.opened_week,
        paused=plan.paused,
        ended_on=plan.ended_on,
        next_week_opens_on=next_opens_on,
        direction=plan.direction,
        weeks=weeks,
    )


@router.get(
    "/me/plan",
    summary="The signed-in client's own plan",
    responses={404: {"description": "No path has been opened for the client yet."}},
)
async def my_plan(request: Request, response: Response, principal: Client) -> PlanView:
    # No reference: enrolment knows of no path for this person yet (decision 0025).
    pathway_id = (
        None
        if principal.client_ref is None
        else await find_client_plan(
            runtime_of(request).require_pool(), principal.tenant, principal.client_ref
        )
    )
    if pathway_id is None:
        raise NotFound("tasks.no_plan")
    plan = await tasks(request).queries.visible_plan(pathway_id, principal)
    await record_read(
        runtime_of(request).require_pool(),
        principal,
        plan.client_ref,
        "plan",
        pathway_id,
    )
    response.headers["ETag"] = f'"{plan.version}"'
    return plan_view(plan, request.query_params.get("lang", "fi"))


@router.get("/pathways/{pathway_id}/plan", summary="A plan, for its client or counselors")
async def get_plan(
    pathway_id: UUID, request: Request, response: Response, principal: ClientOrStaff
) -> PlanView:
    plan = await tasks(request).queries.visible_plan(pathway_id, principal)
    await record_read(
        runtime_of(request).require_pool(),
        principal,
        plan.client_ref,
        "plan",
        pathway_id,
    )
    response.headers["ETag"] = f'"{plan.version}"'
    return plan_view(plan, request.query_params.get("lang", "fi"))


@router.post(
    "/pathways/{pathway_id}/tasks/{task_id}/answers",
    status_code=status.HTTP_201_CREATED,
    summary="Answer a task",
)
async def answer(
    pathway_id: UUID,
    task_id: Annotated[str, CleanText(64, label="tasks.field.task", single_line=True)],
    body: AnswerRequest,
    request: Request,
    response: Response,
    principal: Client,
) -> dict[str, str]:
    context = await http_command(request, principal, scope=f"answer:{pathway_id}:{task_id}")
    answered = await tasks(request).commands.answer(
        pathway_id,
        task_id,
        body.text,
        body.kind,
        principal,
        context,
        helsinki_now(),
        helsinki_today(),
    )
    if answered.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return {"answer_id": str(answered.value)}


@router.post(
    "/pathways/{pathway_id}/direction",
    status_code=status.HTTP_201_CREATED,
    summary="Choose the direction in week 5",
)
async def direction(
    pathway_id: UUID,
    body: DirectionRequest,
    request: Request,
    response: Response,
    principal: Client,
) -> dict[str, str]:
    context = await http_command(request, principal, scope=f"direction:{pathway_id}")
    chosen = await tasks(request).commands.choose(
        pathway_id,
        body.direction,
        body.reason,
        principal,
        context,
        helsinki_now(),
        helsinki_today(),
    )
    if chosen.replayed:
        response.status_code = status.HTTP_200_OK
    return {"direction": body.direction}


def _every_item_scored(schema: dict[str, Any]) -> None:
    """The example scores every item of every instrument, as a submission must."""
    scores = {
        instrument.instrument_id: dict.fromkeys(instrument.item_ids, 2)
        for instrument in load_instruments().values()
    }
    schema["examples"] = [{"scores": scores}]


class SelfAssessmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_every_item_scored)

    scores: dict[str, dict[str, int]] = Field(
        description="Per instrument id, every item's score (0–3); all instruments at once."
    )


@router.post(
    "/pathways/{pathway_id}/self-assessments/{phase}",
    status_code=status.HTTP_201_CREATED,
    summary="Give the self-assessment at the start (baseline) or the end (final)",
    responses={200: {"description": "A retry of a self-assessment already given."}},
)
async def self_assessment(
    pathway_id: UUID,
    phase: Phase,
    body: SelfAssessmentRequest,
    request: Request,
    response: Response,
    principal: Client,
) -> dict[str, str]:
    context = await http_command(request, principal, scope=f"assessment:{pathway_id}:{phase}")
    given = await tasks(request).commands.self_assess(
        pathway_id, phase, body.scores, principal, context, helsinki_now(), helsinki_today()
    )
    if given.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return {"phase": phase}


@router.post("/pathways/{pathway_id}/weeks/open-next", summary="Open the next week early")
async def open_next(pathway_id: UUID, request: Request, principal: Staff) -> dict[str, int]:
    context = await http_command(request, principal, scope=f"open-week:{pathway_id}")
    opened = await tasks(request).commands.open_next(
        pathway_id, principal, context, helsinki_today()
    )
    return {"open_week": opened.value}


class DirectionChangeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"direction": "work"}]},
    )

    direction: Direction = Field(description="The new direction, agreed with the client.")


@router.post(
    "/pathways/{pathway_id}/direction/change",
    status_code=status.HTTP_201_CREATED,
    summary="Record a change of direction agreed with the client (counselor)",
)
async def change_direction(
    pathway_id: UUID,
    body: DirectionChangeRequest,
    request: Request,
    response: Response,
    principal: Staff,
) -> dict[str, str]:
    context = await http_command(request, principal, scope=f"direction-change:{pathway_id}")
    changed = await tasks(request).commands.change_direction(
        pathway_id, body.direction, principal, context, helsinki_now()
    )
    if changed.replayed:
        response.status_code = status.HTTP_200_OK
    return {"direction": body.direction}


class AnswerView(BaseModel):
    answer_id: UUID
    task_id: str
    week: int
    kind: Literal["answer", "needs_help"]
    late: bool
    answered_at: datetime
    text: str | None = Field(description="The client's words; null once erased.")


class AnswersView(BaseModel):
    items: list[AnswerView]


@router.get(
    "/pathways/{pathway_id}/answers",
    summary="A path's answers in order, with their texts (its client and counselors)",
)
async def list_answers(pathway_id: UUID, request: Request, principal: ClientOrStaff) -> AnswersView:
    queries = tasks(request).queries
    plan = await queries.visible_plan(pathway_id, principal)
    pool = runtime_of(request).require_pool()
    await record_read(pool, principal, plan.client_ref, "answers", pathway_id)
    answered = await queries.answers_of(pathway_id)
    texts = await load_answers_of(pool, pathway_id)
    return AnswersView(
        items=[
            AnswerView(
                answer_id=event.answer_id,
                task_id=event.task_id,
                week=event.week,
                kind=event.kind,
                late=event.late,
                answered_at=event.answered_at,
                text=texts.get(event.answer_id),
            )
            for event in answered
        ]
    )


class AreaSummary(BaseModel):
    instrument_id: str
    area_id: str
    title: dict[str, str]
    baseline: float | None
    final: float | None


class PathSummary(BaseModel):
    direction: Direction | None
    direction_reason: str | None = Field(description="The client's words; null once erased.")
    self_assessment: list[AreaSummary] = Field(
        description="Mean per area at the start and the end (instruments shown individually)."
    )


@router.get(
    "/pathways/{pathway_id}/summary",
    summary="Direction with its reason, and the self-assessments side by side",
)
async def path_summary(pathway_id: UUID, request: Request, principal: ClientOrStaff) -> PathSummary:
    plan = await tasks(request).queries.visible_plan(pathway_id, principal)
    pool = runtime_of(request).require_pool()
    await record_read(pool, principal, plan.client_ref, "summary", pathway_id)
    areas = [
        AreaSummary(
            instrument_id=instrument.instrument_id,
            area_id=row.area.area_id,
            title=dict(row.area.title),
            baseline=row.baseline,
            final=row.final,
        )
        for instrument in load_instruments().values()
        # A group-only instrument is never shown to anyone individually.
        if instrument.visibility == "individual"
        for row in side_by_side(
            instrument,
            plan.assessments.get((instrument.instrument_id, "baseline")),
            plan.assessments.get((instrument.instrument_id, "final")),
        )
    ]
    return PathSummary(
        direction=plan.direction,
        direction_reason=await load_direction_reason(pool, pathway_id),
        self_assessment=areas,
    )
