"""The managers' dashboard: every figure as a chart with its table beside it, filters, and the
figures for download as CSV (here) or JSON (the API's /figures, with the same filters).

Managers and admins of the tenant sign in through the staff sign-in; anyone else is refused.
Hidden figures say so, in the table, the chart and the file alike.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
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
from services.reporting.domain.facts import WEEKS
from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.groups import GroupRefused, period_between, periods_covering
from services.reporting.web.figure_rows import Bar, bars, flatten
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
    sections = figure_sections(figures)
    return render(
        request,
        "dashboard.html",
        status=422 if error else 200,
        error=error,
        given=given,
        query=urlencode(given),
        as_of=reading.as_of,
        figures=figures,
        sections=sections,
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


@dataclass(frozen=True)
class Section:
    """One chart with its table: an anchor, a title key, its rows, how values read."""

    id: str
    title: str
    rows: list[Bar]
    unit: str = "dashboard.paths"
    percent: bool = False
    digits: int = 0


def figure_sections(figures: FigureSet) -> list[Section]:
    """Every figure of the set, in the order a manager reads them: how far paths got, where
    they are, why and when they ended, answers on time, time taken, meetings, directions,
    outcomes."""
    weeks = range(WEEKS + 1)
    adherence_weeks = figures.adherence.by_week
    time = figures.time
    guidance = figures.guidance
    direction = figures.direction
    sections = [
        Section(
            "polku",
            "dashboard.funnel",
            bars([(f"dashboard.funnel_{k}", getattr(figures.funnel, k)) for k in FUNNEL]),
        ),
        Section(
            "tila",
            "dashboard.status",
            bars(
                [
                    (f"dashboard.status_{k}", getattr(figures.status, k))
                    for k in ("active", "ended", "completed", "discontinued")
                ]
            ),
        ),
        Section(
            "syy",
            "dashboard.dropoff_reason",
            bars([(f"dashboard.reason_{r}", f) for r, f in figures.discontinued.by_reason.items()]),
        ),
        Section(
            "viikko",
            "dashboard.dropoff_week",
            bars(
                [
                    ("dashboard.week" if row.week else "dashboard.week_before", row.discontinued)
                    for row in figures.discontinued.by_week
                ],
                [{"week": w} for w in weeks],
            ),
        ),
        Section(
            "ajallaan",
            "dashboard.adherence",
            bars(
                [
                    ("dashboard.on_time", figures.adherence.overall.on_time_share),
                    ("dashboard.late", figures.adherence.overall.late_share),
                ]
            ),
            unit="dashboard.share",
            percent=True,
        ),
        Section(
            "ajallaan-viikoittain",
            "dashboard.adherence_by_week",
            bars(
                [("dashboard.week", row.on_time_share) for row in adherence_weeks],
                [{"week": row.week} for row in adherence_weeks],
            ),
            unit="dashboard.on_time_share",
            percent=True,
        ),
        Section(
            "aika",
            "dashboard.time",
            bars(
                [
                    ("dashboard.to_direction_median", time.to_direction.median_days),
                    ("dashboard.to_direction_mean", time.to_direction.mean_days),
                    ("dashboard.to_completion_median", time.to_completion.median_days),
                    ("dashboard.to_completion_mean", time.to_completion.mean_days),
                ]
            ),
            unit="dashboard.days",
            digits=1,
        ),
        Section(
            "tapaamiset",
            "dashboard.meetings",
            bars(
                [
                    ("dashboard.meetings_requested", guidance.requested.total),
                    ("dashboard.meetings_held", guidance.held.total),
                    ("dashboard.meetings_missed", guidance.missed.total),
                ]
            ),
            unit="dashboard.meetings_unit",
        ),
        Section(
            "tapaamiset-asiakasta-kohden",
            "dashboard.meetings_per_client",
            bars(
                [
                    ("dashboard.meetings_requested", guidance.requested.mean_per_client),
                    ("dashboard.meetings_held", guidance.held.mean_per_client),
                    ("dashboard.meetings_missed", guidance.missed.mean_per_client),
                ]
            ),
            unit="dashboard.meetings_unit",
            digits=2,
        ),
        Section(
            "suunta",
            "dashboard.direction",
            bars(
                [
                    ("dashboard.direction_work", direction.work),
                    ("dashboard.direction_education", direction.education),
                    ("dashboard.direction_not_recorded", direction.not_recorded),
                    ("dashboard.direction_changed", direction.clients_changed),
                    ("dashboard.direction_changes", direction.changes),
                ]
            ),
        ),
    ]
    for follow_up, item in figures.outcomes.items():
        sections.append(
            Section(
                f"seuranta-{follow_up}",
                f"dashboard.followed_{follow_up}",
                bars(
                    [
                        ("dashboard.followed_up", item.followed_up),
                        ("dashboard.not_followed_up", item.not_followed_up),
                    ]
                ),
            )
        )
        sections.append(
            Section(
                f"tulos-{follow_up}",
                f"dashboard.outcomes_{follow_up}",
                bars([(f"dashboard.outcome_{k}", f) for k, f in item.shares.items()]),
                unit="dashboard.share_of_followed",
                percent=True,
            )
        )
    return sections


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
