"""A client's timeline for their counselor: answers with feedback, direction, self-assessments,
meetings. Answers, direction and self-assessments are read from tasks, the path from
enrolment, both with the counselor's own token; feedback and meetings are guidance's own.

Every form carries a hidden `submission_id`, read by `http_command` as the command's
idempotency key: a double click, or a form sent again, does what it asks once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, get_args
from uuid import UUID, uuid4

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from uuid6 import uuid7

from chassis.auth import Principal
from chassis.clean_text import TextRefused, clean
from chassis.clock import helsinki_now, helsinki_today
from chassis.commands import http_command
from chassis.errors import DomainError
from chassis.http import request_language, text_refusal
from chassis.http_auth import page_router
from chassis.service import runtime_of
from contracts.events.enrolment import DiscontinuationReason, ErasureReason, PauseReason
from services.guidance.adapters.feedback_api import FEEDBACK_TEXT
from services.guidance.adapters.meetings_api import NOTE_TEXT, TASK_ID
from services.guidance.bootstrap import guidance
from services.guidance.domain.guidance_record import MeetingMode
from services.guidance.domain.outcomes import FOLLOW_UPS, FollowUp, OutcomeKind
from services.guidance.web.peer_services import Choice, PeerServices, PeerUnavailable
from services.guidance.web.session import refusal, signed_in_staff
from services.guidance.web.templating import render

router = page_router()
MODES: tuple[MeetingMode, ...] = ("in_person", "phone", "video")
# The lists the events allow, in the contracts' order.
PAUSE_REASONS: tuple[str, ...] = get_args(PauseReason)
DISCONTINUATION_REASONS: tuple[str, ...] = get_args(DiscontinuationReason)
ERASURE_REASONS: tuple[str, ...] = get_args(ErasureReason)
SAVED_NOTICES = ("palaute", "tapaaminen", "polku", "tulos", "muistiinpano")
OUTCOME_KINDS: tuple[OutcomeKind, ...] = get_args(OutcomeKind)


def _task_titles(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {task["task_id"]: task for week in plan["weeks"] for task in week["tasks"]}


async def timeline_page(
    request: Request,
    principal: Principal,
    pathway_id: UUID,
    status: int = 200,
    error: str | None = None,
    kept: dict[str, str] | None = None,
) -> Response:
    """`kept`: what a refused form held, by the form field's id, shown again in its box."""
    queries = guidance(request).queries
    try:
        meetings_read = await queries.meetings(pathway_id, principal)
        meetings = meetings_read.meetings
        feedback = await queries.feedback(pathway_id, principal)
        outcomes = (await queries.outcomes(pathway_id, principal)).outcomes
    except DomainError as refused:
        return refusal(request, refused.status, refused.code)
    peers = PeerServices.for_request(request)
    try:
        path = await peers.path(pathway_id)
        plan = await peers.plan(pathway_id, request_language(request))
        answers = await peers.answers(pathway_id)
        summary = await peers.summary(pathway_id)
    except PeerUnavailable:
        return refusal(request, 503, "workspace.peer_unavailable")
    access_log: list[dict[str, Any]] = []
    if principal.role == "admin" and path.get("client_ref"):
        try:
            access_log = await peers.access_log(str(path["client_ref"]))
            for entry in access_log:
                entry["read_at"] = datetime.fromisoformat(entry["read_at"])
        except PeerUnavailable:
            access_log = []
    try:
        # Whom the path may be handed to: the tenant's staff directory (typed ids without it).
        counselors: list[Choice] | None = await peers.counselors()
    except PeerUnavailable:
        counselors = None
    tasks = _task_titles(plan)
    for answer in answers:
        answer["answered_at"] = datetime.fromisoformat(answer["answered_at"])
    feedback_by_answer: dict[str, list[Any]] = {}
    for item in feedback:
        feedback_by_answer.setdefault(str(item.answer_id), []).append(item)
    meeting_tasks = [task for task in tasks.values() if task["requires_meeting"]]
    notes_by_meeting: dict[UUID, list[Any]] = {}
    for note in meetings_read.notes or []:
        notes_by_meeting.setdefault(note.meeting_id, []).append(note)
    notice = request.query_params.get("tallennettu")
    return render(
        request,
        "timeline.html",
        status=status,
        pathway_id=pathway_id,
        pathway=path,
        plan=plan,
        answers=answers,
        tasks=tasks,
        feedback=feedback_by_answer,
        summary=summary,
        meetings=meetings,
        notes=notes_by_meeting,
        meeting_tasks=meeting_tasks,
        modes=MODES,
        outcomes=outcomes,
        is_admin=principal.role == "admin",
        access_log=access_log,
        counselors=counselors,
        follow_ups=FOLLOW_UPS,
        outcome_kinds=OUTCOME_KINDS,
        today=helsinki_today(),
        pause_reasons=PAUSE_REASONS,
        discontinuation_reasons=DISCONTINUATION_REASONS,
        erasure_reasons=ERASURE_REASONS,
        notice=f"workspace.saved_{notice}" if notice in SAVED_NOTICES else None,
        error=error,
        kept=kept or {},
        submission_id=uuid4(),
    )


@router.get("/asiakkaat/{pathway_id}")
async def show_timeline(pathway_id: UUID, request: Request) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    return await timeline_page(request, principal, pathway_id)


def _back(pathway_id: UUID, saved: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(
        f"/asiakkaat/{pathway_id}?tallennettu={saved}#{anchor}", status_code=303
    )


async def _refused(
    request: Request,
    principal: Principal,
    pathway_id: UUID,
    refused: DomainError | TextRefused,
    kept: dict[str, str] | None = None,
) -> Response:
    catalogue = runtime_of(request).catalogue
    lang = request_language(request)
    if isinstance(refused, TextRefused):
        message, status = text_refusal(catalogue, lang, refused), 422
    else:
        message, status = catalogue.text(refused.code, lang, **refused.params), refused.status
    return await timeline_page(request, principal, pathway_id, status, message, kept)


@router.post("/asiakkaat/{pathway_id}/vastaukset/{answer_id}/palaute")
async def give_feedback(
    pathway_id: UUID,
    answer_id: UUID,
    request: Request,
    # No max_length on a page's text: a refusal must show the page with the text kept.
    text: Annotated[str, Form()] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    feedback = guidance(request).feedback
    context = await http_command(request, principal, scope=f"feedback:{answer_id}")
    kept = {f"palaute-{answer_id}": text}
    try:
        cleaned = clean(text, FEEDBACK_TEXT)
        await feedback.give(pathway_id, answer_id, cleaned, principal, context, helsinki_now())
    except (DomainError, TextRefused) as refused:
        return await _refused(request, principal, pathway_id, refused, kept)
    return _back(pathway_id, "palaute", f"vastaus-{answer_id}")


@router.post("/asiakkaat/{pathway_id}/tapaamiset")
async def schedule_meeting(
    pathway_id: UUID,
    request: Request,
    starts_at: Annotated[str, Form(max_length=32)] = "",
    mode: Annotated[str, Form(max_length=16)] = "",
    task_id: Annotated[str, Form(max_length=64)] = "",
    meeting_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Schedule a requested meeting, or a new one (made with a new id the first time the
    form's submission id is seen: a double click books one meeting)."""
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    meetings = guidance(request).meetings
    try:
        task_id = clean(task_id, TASK_ID) if task_id else ""
    except TextRefused as refused:
        return await _refused(request, principal, pathway_id, refused)
    try:
        # The browser's datetime-local is Helsinki time without an offset.
        when = datetime.fromisoformat(starts_at)
        chosen_mode = next(m for m in MODES if m == mode)
        target = UUID(meeting_id) if meeting_id else uuid7()
    except (ValueError, StopIteration):
        return await _refused(
            request, principal, pathway_id, DomainError("workspace.meeting_form_invalid")
        )
    context = await http_command(request, principal, scope=f"meeting:{pathway_id}")
    try:
        await meetings.schedule(
            pathway_id,
            target,
            when,
            chosen_mode,
            [task_id] if task_id else [],
            principal,
            context,
            helsinki_now(),
        )
    except DomainError as refused:
        return await _refused(request, principal, pathway_id, refused)
    return _back(pathway_id, "tapaaminen", "tapaamiset")


@router.post("/asiakkaat/{pathway_id}/tapaamiset/{meeting_id}/tulos")
async def meeting_outcome(
    pathway_id: UUID,
    meeting_id: UUID,
    request: Request,
    held: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    meetings = guidance(request).meetings
    context = await http_command(request, principal, scope=f"meeting-outcome:{meeting_id}")
    try:
        await meetings.held(
            pathway_id, meeting_id, held == "yes", helsinki_now(), principal, context
        )
    except DomainError as refused:
        return await _refused(request, principal, pathway_id, refused)
    return _back(pathway_id, "tapaaminen", "tapaamiset")


@router.post("/asiakkaat/{pathway_id}/tulokset")
async def record_outcome(
    pathway_id: UUID,
    request: Request,
    follow_up: Annotated[str, Form(max_length=8)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
    outcome_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    try:
        chosen_follow_up: FollowUp = next(f for f in FOLLOW_UPS if f == follow_up)
        chosen_outcome: OutcomeKind = next(o for o in OUTCOME_KINDS if o == outcome)
        day = date.fromisoformat(outcome_date)
    except (StopIteration, ValueError):
        return await _refused(
            request, principal, pathway_id, DomainError("workspace.outcome_form_invalid")
        )
    context = await http_command(request, principal, scope=f"outcome:{pathway_id}")
    try:
        await guidance(request).outcomes.record(
            pathway_id,
            chosen_follow_up,
            chosen_outcome,
            day,
            principal,
            context,
            helsinki_now(),
            helsinki_today(),
        )
    except DomainError as refused:
        return await _refused(request, principal, pathway_id, refused)
    return _back(pathway_id, "tulos", "tulokset")


@router.post("/asiakkaat/{pathway_id}/tapaamiset/{meeting_id}/muistiinpanot")
async def write_note(
    pathway_id: UUID,
    meeting_id: UUID,
    request: Request,
    text: Annotated[str, Form()] = "",
) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    kept = {f"muistiinpano-{meeting_id}": text}
    notes = guidance(request).notes
    context = await http_command(request, principal, scope=f"note:{meeting_id}")
    try:
        cleaned = clean(text, NOTE_TEXT)
        await notes.write(pathway_id, meeting_id, cleaned, principal, context, helsinki_now())
    except (DomainError, TextRefused) as refused:
        return await _refused(request, principal, pathway_id, refused, kept)
    return _back(pathway_id, "muistiinpano", "tapaamiset")
