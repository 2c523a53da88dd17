"""The managers' dashboard: every figure as a chart with its table beside it, filters, and the
figures for download as CSV (here) or JSON (the API's /figures, with the same filters).

Managers and admins of the tenant sign in through the staff sign-in; anyone else is refused.
Hidden figures say so, in the table, the chart and the file alike.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from chassis.auth import Principal
from chassis.http_auth import page_router
from chassis.service import runtime_of
from chassis.web.sign_in import refusal_page, signed_in
from contracts.reference.municipalities import register
from services.reporting.adapters.figures_query import Filters, group_choices
from services.reporting.adapters.filter_params import filters_of
from services.reporting.adapters.http_api import read_groups
from services.reporting.domain.groups import GroupRefused, period_between, periods_covering
from services.reporting.web.figure_rows import bars, flatten
from services.reporting.web.templating import render

router = page_router()
FILTERS = ("municipality", "unit", "cohort", "from", "to", "period")
FUNNEL = ("opened", "started", "reached_week_5", "direction_chosen", "completed")


def refusal(request: Request, status: int, reason: str) -> Response:
    return refusal_page(render, request, status, reason)


async def signed_in_manager(request: Request) -> Principal | Response:
    """The signed-in manager or admin, or the page to show instead."""
    return await signed_in(
        request,
        render,
        ("manager", "admin"),
        refusals={role: "dashboard.managers_only" for role in ("client", "counselor")},
        back_to="/",
    )


def chosen_filters(request: Request) -> tuple[Filters, dict[str, str], str | None]:
    """The filters from the address; a date that does not parse, or a group outside the space
    (decision 0031), is reported, not guessed."""
    given = {k: v.strip() for k in FILTERS if (v := request.query_params.get(k, "")).strip()}
    try:
        opened_from = date.fromisoformat(given["from"]) if "from" in given else None
        opened_to = date.fromisoformat(given["to"]) if "to" in given else None
    except ValueError:
        return Filters(), given, "dashboard.date_invalid"
    try:
        filters = filters_of(
            given.get("municipality"),
            given.get("unit"),
            given.get("cohort"),
            opened_from,
            opened_to,
            given.get("period"),
        )
    except GroupRefused as refused:
        return Filters(), given, refused.code
    return filters, given, None


@router.get("/")
async def dashboard(request: Request) -> Response:
    principal = await signed_in_manager(request)
    if not isinstance(principal, Principal):
        return principal
    filters, given, error = chosen_filters(request)
    reading = await read_groups(request, principal.tenant, [filters])
    choices = await group_choices(runtime_of(request).require_pool(), principal.tenant)
    figures = reading.groups[0]
    funnel = bars([(f"dashboard.funnel_{k}", getattr(figures.funnel, k)) for k in FUNNEL])
    direction = bars(
        [
            ("dashboard.direction_work", figures.direction.work),
            ("dashboard.direction_education", figures.direction.education),
        ]
    )
    adherence = bars(
        [
            ("dashboard.on_time", figures.adherence.overall.on_time_share),
            ("dashboard.late", figures.adherence.overall.late_share),
        ]
    )
    outcomes = {
        follow_up: bars([(f"dashboard.outcome_{k}", f) for k, f in item.shares.items()])
        for follow_up, item in figures.outcomes.items()
    }
    return render(
        request,
        "dashboard.html",
        status=422 if error else 200,
        error=error,
        given=given,
        query=urlencode(given),
        as_of=reading.as_of,
        figures=figures,
        funnel=funnel,
        direction=direction,
        adherence=adherence,
        outcomes=outcomes,
        municipalities=municipality_choices(principal.tenant, given.get("municipality")),
        choices=choices,
        periods=periods_covering(choices.months),
        chosen_period=_chosen_period(filters),
    )


def _chosen_period(filters: Filters) -> str | None:
    """The period the filters hold, as the choice that names it (`from`/`to` in the address
    are shown as their period)."""
    try:
        period = period_between(filters.opened_from, filters.opened_to)
    except GroupRefused:
        return None
    return None if period is None else period.label


def municipality_choices(tenant: str, chosen: str | None) -> list[dict[str, object]]:
    """The tenant's municipalities by code, named in both languages (the official register);
    a chosen value that is no code of theirs stays offered as it is, so the filter shows."""
    choices: list[dict[str, object]] = [
        {"code": m.code, "name": {"fi": m.fi, "sv": m.sv}} for m in register().of_tenant(tenant)
    ]
    if chosen and chosen not in {c["code"] for c in choices}:
        choices.append({"code": chosen, "name": {"fi": chosen, "sv": chosen}})
    return choices


@router.get("/luvut.csv")
async def export_csv(request: Request) -> Response:
    principal = await signed_in_manager(request)
    if not isinstance(principal, Principal):
        return principal
    filters, _, error = chosen_filters(request)
    if error:
        return refusal(request, 422, error)
    reading = await read_groups(request, principal.tenant, [filters])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["figure", "value", "suppressed", "as_of"])
    as_of = reading.as_of.isoformat() if reading.as_of else ""
    for name, figure in flatten(reading.groups[0]):
        value = "" if figure.value is None else figure.value
        writer.writerow([name, value, "true" if figure.suppressed else "false", as_of])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="digipolku-luvut.csv"',
            "Cache-Control": "no-store",
        },
    )
