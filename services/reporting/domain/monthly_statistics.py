"""A tenant's monthly statistics for other wellbeing areas: the dashboard's own figures of the
paths opened in one month, under the same disclosure control (pure; decision 0032)."""

from __future__ import annotations

import hashlib
from datetime import date

from contracts.public import (
    Directions,
    FollowUpStatistics,
    MonthlyStatistics,
    PathStatus,
    PathSteps,
    PublicFigure,
    StatisticsNoise,
)
from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.groups import Period
from services.reporting.domain.published import Figure


def statistics_months(first_opened: date, today: date) -> list[Period]:
    """Every month from the tenant's first opening through this one, empty months included:
    a month left out would tell that nobody was opened in it."""
    months: list[Period] = []
    year, month = first_opened.year, first_opened.month
    while (year, month) <= (today.year, today.month):
        months.append(Period.month(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly_statistics(
    tenant: str, month: Period, figures: FigureSet, revision: int = 1
) -> MonthlyStatistics:
    """The month's statistics from the figures of the tenant's paths opened in it."""
    return MonthlyStatistics(
        tenant=tenant,
        month=month.label,
        revision=revision,
        min_base=figures.min_group,
        noise=StatisticsNoise(
            typical_deviation=figures.noise.typical_deviation,
            typical_share=figures.noise.typical_share,
            max_deviation=figures.noise.max_deviation,
        ),
        steps=PathSteps(
            opened=_public(figures.funnel.opened),
            started=_public(figures.funnel.started),
            reached_week_5=_public(figures.funnel.reached_week_5),
            direction_chosen=_public(figures.funnel.direction_chosen),
            completed=_public(figures.funnel.completed),
        ),
        status=PathStatus(
            active=_public(figures.status.active),
            completed=_public(figures.status.completed),
            discontinued=_public(figures.status.discontinued),
            discontinued_by_reason={
                reason: _public(figure) for reason, figure in figures.discontinued.by_reason.items()
            },
        ),
        directions=Directions(
            work=_public(figures.direction.work),
            education=_public(figures.direction.education),
            changed=_public(figures.direction.clients_changed),
        ),
        on_time_share=_public(figures.adherence.overall.on_time_share),
        outcomes={
            follow_up: FollowUpStatistics(
                followed_up=_public(outcome.followed_up),
                not_followed_up=_public(outcome.not_followed_up),
                shares={name: _public(figure) for name, figure in outcome.shares.items()},
            )
            for follow_up, outcome in figures.outcomes.items()
        },
    )


def figures_digest(statistics: MonthlyStatistics) -> str:
    """What a month's figures are, whatever their revision: unchanged, nothing is published."""
    content = statistics.model_dump_json(exclude={"revision"})
    return hashlib.sha256(content.encode()).hexdigest()


def _public(figure: Figure) -> PublicFigure:
    return PublicFigure(value=figure.value, suppressed=figure.suppressed)
