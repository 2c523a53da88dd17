"""The counselor's caseload page: who is on track, who needs what, sortable and filterable.

The rows are the caseload API's own (the same query, flags and access-log entries); the names
come from enrolment. A small script listens to the page's own change stream (the API's
/caseload/stream takes bearer tokens only, decision 0022) and swaps in fresh rows from
`?osa=rivit` when something changes, so the list updates without reloading the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from chassis.auth import Principal
from chassis.http import request_language
from chassis.http_auth import page_router
from chassis.service import runtime_of
from contracts.reference.municipalities import MUNICIPALITY_CODE
from services.guidance.adapters.caseload_query import change_marks
from services.guidance.adapters.caseload_stream import caseload_events
from services.guidance.adapters.http_api import caseload
from services.guidance.domain.caseload import Flag, PathStatus, SortKey
from services.guidance.web.peer_services import Choice, PeerServices, PeerUnavailable
from services.guidance.web.session import signed_in_staff
from services.guidance.web.templating import render

router = page_router()
CHANGES_PATH = "/asiakkaat/muutokset"
SORTS: tuple[SortKey, ...] = get_args(SortKey)
STATUSES: tuple[PathStatus, ...] = get_args(PathStatus)
FLAGS: tuple[Flag, ...] = get_args(Flag)


def _chosen(value: str | None, allowed: tuple[str, ...]) -> str | None:
    # A hand-edited address with an unknown value shows everything rather than an error.
    return value if value in allowed else None


@router.get("/")
async def caseload_page(request: Request) -> Response:
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return principal
    query = request.query_params
    kunta = query.get("kunta") or ""
    municipality = kunta if MUNICIPALITY_CODE.fullmatch(kunta) else None
    sort = _chosen(query.get("jarjestys"), SORTS) or "attention"
    status = _chosen(query.get("tila"), STATUSES)
    flag = _chosen(query.get("huomio"), FLAGS)
    rows = await caseload(
        request,
        principal,
        sort=sort,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        flag=flag,  # type: ignore[arg-type]
        municipality=municipality,
        cohort=None,
    )
    peers = PeerServices.for_request(request)
    try:
        names = await peers.names()
    except PeerUnavailable:
        names = {}  # the rows still show; the names come back with enrolment
    municipalities: list[Choice] = []
    if query.get("osa") != "rivit":  # the filter is on the whole page only
        try:
            municipalities = await peers.registry("municipalities", request_language(request))
        except PeerUnavailable:
            municipalities = []
    return render(
        request,
        "caseload_rows.html" if query.get("osa") == "rivit" else "caseload.html",
        rows=rows,
        names=names,
        sorts=SORTS,
        statuses=STATUSES,
        flags=FLAGS,
        municipalities=municipalities,
        chosen={"sort": sort, "status": status, "flag": flag, "municipality": municipality},
        opened=query.get("avattu") == "1",
        erased=query.get("poistettu") == "1",
    )


@router.get(CHANGES_PATH)
async def caseload_changes(request: Request) -> Response:
    """The caseload's changes as server-sent events, for the page's script (by the session)."""
    principal = await signed_in_staff(request)
    if not isinstance(principal, Principal):
        return Response(status_code=401)  # an EventSource stops on it; the page still works
    pool = runtime_of(request).require_pool()

    async def marks() -> dict[UUID, datetime]:
        return await change_marks(pool, principal)

    return StreamingResponse(
        caseload_events(marks),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
