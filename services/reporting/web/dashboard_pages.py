"""The managers' dashboard: every figure as a chart with its table beside it, filters, and the
figures for download as CSV (here) or JSON (the API's /figures, with the same filters).

Managers and admins of the tenant sign in through the staff sign-in; anyone else is refused.
Hidden figures say so, in the table, the chart and the file alike.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date
from typing import Any
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
from services.reporting.domain.figure_set import AreaChange, FigureSet
from services.reporting.domain.groups import GroupRefused, period_between, periods_covering
from services.reporting.domain.published import HIDDEN, NOTHING, Figure
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


def chosen_filters(
    request: Request, prefix: str = ""
) -> tuple[Filters, dict[str, str], str | None]:
    """The filters from the address (`a.cohort` with prefix `a`); a date that does not parse,
    or a group outside the space (decision 0031), is reported, not guessed."""
    p = f"{prefix}." if prefix else ""
    given = {k: v.strip() for k in FILTERS if (v := request.query_params.get(p + k, "")).strip()}
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


def _page(request: Request, template: str, **context: Any) -> Response:
    """A dashboard page, with how far reporting is behind its topics beside `as_of`."""
    lag = runtime_of(request).consumer_lag
    return render(request, template, lag=lag.status() if lag else None, **context)


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
    return _page(
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


@dataclass(frozen=True)
class ComparedRow:
    label_key: str
    params: dict[str, object]
    a: Figure
    b: Figure
    difference: Figure  # b − a, when both are shown


@dataclass(frozen=True)
class ComparedSection:
    id: str
    title: str
    rows: list[ComparedRow]
    percent: bool
    digits: int


def compared_sections(a: FigureSet, b: FigureSet) -> list[ComparedSection]:
    """The two groups' sections row by row, with the difference of what both show."""
    return [
        ComparedSection(
            left.id,
            left.title,
            [
                ComparedRow(
                    x.label_key, x.params, x.figure, y.figure, difference(x.figure, y.figure)
                )
                for x, y in zip(left.rows, right.rows, strict=True)
            ],
            left.percent,
            left.digits,
        )
        for left, right in zip(figure_sections(a), figure_sections(b), strict=True)
    ]


def difference(a: Figure, b: Figure) -> Figure:
    """B − A when both are shown; hidden when either is."""
    if a.suppressed or b.suppressed:
        return HIDDEN
    if a.value is None or b.value is None:
        return NOTHING
    return Figure(round(b.value - a.value, 3), False)


@router.get("/vertailu")
async def comparison(request: Request) -> Response:
    """Two groups side by side (`a.cohort=…&b.cohort=…`, any place and time of the space),
    with the difference of each figure and of each self-assessment change with its interval."""
    principal = await signed_in_manager(request)
    if not isinstance(principal, Principal):
        return principal
    a, given_a, error_a = chosen_filters(request, "a")
    b, given_b, error_b = chosen_filters(request, "b")
    reading = await read_groups(request, principal.tenant, [a, b])
    choices = await group_choices(runtime_of(request).require_pool(), principal.tenant)
    figures_a, figures_b = reading.groups
    error = error_a or error_b
    return _page(
        request,
        "compare.html",
        status=422 if error else 200,
        error=error,
        sides={"a": given_a, "b": given_b},
        chosen_periods={"a": _chosen_period(a), "b": _chosen_period(b)},
        as_of=reading.as_of,
        a=figures_a,
        b=figures_b,
        sections=compared_sections(figures_a, figures_b),
        assessments=assessment_differences(figures_a, figures_b),
        municipalities=municipality_choices(principal.tenant, None),
        choices=choices,
        periods=periods_covering(choices.months),
    )


@dataclass(frozen=True)
class AreaDifference:
    title: dict[str, str]
    instrument: dict[str, str]
    a: Figure
    b: Figure
    difference: Figure
    low: Figure
    high: Figure


def assessment_differences(a: FigureSet, b: FigureSet) -> list[AreaDifference]:
    """Per area, the two mean changes and their difference with a 95 % interval (the two
    intervals' half-widths combined as independent: √(hA² + hB²))."""
    found = []
    for left, right in zip(a.self_assessment, b.self_assessment, strict=True):
        for x, y in zip(left.areas, right.areas, strict=True):
            gap = difference(x.mean_change, y.mean_change)
            low = high = HIDDEN if gap.suppressed else NOTHING
            halves = [_half_width(x), _half_width(y)]
            if isinstance(gap.value, int | float) and None not in halves:
                half = math.sqrt(sum(h * h for h in halves if h is not None))
                low = Figure(round(gap.value - half, 3), False)
                high = Figure(round(gap.value + half, 3), False)
            found.append(
                AreaDifference(x.title, left.title, x.mean_change, y.mean_change, gap, low, high)
            )
    return found


def _half_width(area: AreaChange) -> float | None:
    low, high = area.ci_low.value, area.ci_high.value
    if area.ci_low.suppressed or low is None or high is None:
        return None
    return (high - low) / 2


TREND_BY = ("month", "cohort")


@router.get("/kehitys")
async def trend(request: Request) -> Response:
    """The main figures by opening month or by cohort, for the chosen place."""
    principal = await signed_in_manager(request)
    if not isinstance(principal, Principal):
        return principal
    place, given, error = chosen_filters(request)
    by = request.query_params.get("by", "month")
    by = by if by in TREND_BY else "month"
    choices = await group_choices(runtime_of(request).require_pool(), principal.tenant)
    place = Filters(place.municipality, place.unit)  # the time is the trend's own
    periods = {period.label: period for period in periods_covering(choices.months)}
    if by == "cohort":
        labels = sorted(choices.cohorts)
        groups = [Filters(place.municipality, place.unit, cohort) for cohort in labels]
        names: list[str] = labels
    else:
        months = [p for p in periods.values() if p.kind == "month"]
        months.sort(key=lambda period: period.first)
        groups = [Filters(place.municipality, place.unit, None, m.first, m.last) for m in months]
        names = [m.label for m in months]
    reading = await read_groups(request, principal.tenant, groups)
    rows = [
        {
            "name": name,
            "period": periods.get(name),
            "opened": f.funnel.opened,
            "direction_chosen": f.funnel.direction_chosen,
            "completed": f.funnel.completed,
            "discontinued": f.status.discontinued,
            "on_time": f.adherence.overall.on_time_share,
            "employed_end": f.outcomes["end"].shares["employed"],
        }
        for name, f in zip(names, reading.groups, strict=True)
    ]
    return _page(
        request,
        "trend.html",
        status=422 if error else 200,
        error=error,
        by=by,
        given=given,
        as_of=reading.as_of,
        rows=rows,
        noise=reading.groups[0].noise if reading.groups else None,
        municipalities=municipality_choices(principal.tenant, given.get("municipality")),
        choices=choices,
    )
