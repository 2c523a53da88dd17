"""Who is signed in on the client's pages, and what to show instead when nobody (rightly) is."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from chassis.auth import Principal
from chassis.errors import DomainError, NotFound
from chassis.http_auth import page_session
from chassis.web.sign_in import refusal_page, signed_in
from services.tasks.adapters.plan_access import find_client_plan
from services.tasks.bootstrap import Tasks, tasks
from services.tasks.domain.plan import Plan
from services.tasks.web.templating import render


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    plan: Plan
    parts: Tasks


def refusal(request: Request, status: int, reason: str) -> Response:
    return refusal_page(render, request, status, reason)


async def signed_in_client(request: Request) -> SignedIn | Response:
    """The signed-in client and their plan, or the page to show instead."""
    principal = await signed_in(request, render, ("client",), tell_expired=True)
    if not isinstance(principal, Principal):
        return principal
    parts = tasks(request)
    # No reference yet: enrolment knows of no path for this person (decision 0025).
    pathway_id = (
        None
        if principal.client_ref is None
        else await find_client_plan(parts.pool, principal.tenant, principal.client_ref)
    )
    if pathway_id is None:
        return render(request, "no_plan.html")
    try:
        plan = await parts.queries.visible_plan(pathway_id, principal)
    except NotFound:  # opened a moment ago: tasks has not started its plan yet
        return render(request, "no_plan.html")
    return SignedIn(principal, plan, parts)


async def keep_text_of_expired_session(request: Request, task_id: str, text: str) -> UUID | None:
    """Save what the client sent as their draft when their session had just run out.

    The session row says whose text it is for a while after it ended (chassis.sessions'
    rescue grace); it grants nothing else. Returns the path the draft was saved on, or None
    when there was nothing to keep or nobody to keep it for.
    """
    session = await page_session(request)
    if session is None or session.live or not text.strip():
        return None
    principal = session.principal
    if principal.role != "client" or principal.client_ref is None:
        return None
    parts = tasks(request)
    pathway_id = await find_client_plan(parts.pool, principal.tenant, principal.client_ref)
    if pathway_id is None:
        return None
    try:
        await parts.commands.save_draft(pathway_id, task_id, text, principal)
    except DomainError:
        return None  # an ended path keeps no drafts
    return pathway_id
