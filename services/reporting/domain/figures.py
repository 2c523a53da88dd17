"""Every figure of a group of paths, computed from their facts alone (pure: no I/O), each
published under the cell-key method (decision 0031).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from services.reporting.domain.facts import WEEKS, Instrument, PathFacts, WeekFacts
from services.reporting.domain.figure_set import (
    Adherence,
    AdherenceFigures,
    Duration,
    FigureSet,
    GuidanceFigures,
    MeetingFigures,
    TimeFigures,
    WeekAdherence,
)
from services.reporting.domain.path_counts import path_counts
from services.reporting.domain.published import (
    HIDDEN,
    MEDIAN_BASE,
    MIN_BASE,
    NOTHING,
    Cell,
    Figure,
    Magnitude,
    Noise,
    mean,
    share,
)
from services.reporting.domain.self_assessment import instrument_changes
from services.reporting.domain.statistics import median

SHARE_DIGITS = 3
DAY_DIGITS = 1
MEAN_DIGITS = 2


def compute_figures(
    paths: Sequence[PathFacts], instruments: Mapping[tuple[str, str], Instrument]
) -> FigureSet:
    counts = path_counts(paths)
    return FigureSet(
        min_group=MIN_BASE,
        noise=Noise(),
        funnel=counts.funnel,
        status=counts.status,
        discontinued=counts.discontinued,
        adherence=adherence(paths),
        time=TimeFigures(
            to_direction=duration(paths, lambda p: _days(p.start_date, p.direction_chosen_on)),
            to_completion=duration(
                [p for p in paths if p.ending == "completed"],
                lambda p: _days(p.start_date, p.ended_on),
            ),
        ),
        direction=counts.direction,
        guidance=GuidanceFigures(
            requested=meetings(paths, lambda p: p.meetings_requested),
            held=meetings(paths, lambda p: p.meetings_held),
            missed=meetings(paths, lambda p: p.meetings_missed),
        ),
        outcomes=counts.outcomes,
        self_assessment=instrument_changes(paths, instruments),
    )


def adherence(paths: Sequence[PathFacts]) -> AdherenceFigures:
    def of(weeks: list[tuple[PathFacts, Iterable[WeekFacts]]]) -> Adherence:
        """`weeks`: per path, the weeks that count."""
        per_path = [(p, list(ws)) for p, ws in weeks]
        on_time = Magnitude.of((p, sum(w.on_time for w in ws)) for p, ws in per_path).published
        late = Magnitude.of((p, sum(w.late for w in ws)) for p, ws in per_path).published
        # The base: the paths that answered at all in these weeks, as published.
        base = Cell.of(p for p, ws in per_path if any(w.on_time + w.late for w in ws)).published
        return Adherence(
            on_time_share=share(on_time, on_time + late, base, SHARE_DIGITS),
            late_share=share(late, on_time + late, base, SHARE_DIGITS),
        )

    by_week = []
    for week in range(1, WEEKS + 1):
        shares = of([(p, [p.weeks[week]]) for p in paths if week in p.weeks])
        by_week.append(
            WeekAdherence(
                week=week, on_time_share=shares.on_time_share, late_share=shares.late_share
            )
        )
    return AdherenceFigures(overall=of([(p, p.weeks.values()) for p in paths]), by_week=by_week)


def duration(paths: Sequence[PathFacts], days: Callable[[PathFacts], int | None]) -> Duration:
    """Days from one date of a path to another, over the paths that have both."""
    values = [(p, d) for p in paths if (d := days(p)) is not None]
    magnitude = Magnitude.of(values)
    return Duration(
        median_days=_median([d for _, d in values], magnitude.cell.published),
        mean_days=mean(magnitude, DAY_DIGITS),
    )


def _median(values: Sequence[int], published: int) -> Figure:
    """Whole days, for groups of at least MEDIAN_BASE (as published): a median is a person's
    own value, or the mean of two."""
    if published == 0 or not values:
        return NOTHING
    if published < MEDIAN_BASE:
        return HIDDEN
    found = median(values)
    return NOTHING if found is None else Figure(float(round(found)), False)


def meetings(paths: Sequence[PathFacts], per_path: Callable[[PathFacts], int]) -> MeetingFigures:
    """A total and its mean over every path of the group."""
    total = Magnitude.of((p, per_path(p)) for p in paths)
    opened = Cell.of(paths).published
    published_total = max(0, round(total.published))
    return MeetingFigures(
        total=Figure(published_total, False),
        mean_per_client=_per_client(published_total, opened),
    )


def _per_client(total: int, opened: int) -> Figure:
    """Meetings per path opened (not a share: it may exceed one)."""
    if opened == 0:
        return NOTHING
    if opened < MIN_BASE:
        return HIDDEN
    return Figure(round(total / opened, MEAN_DIGITS), False)


def _days(start: date | None, end: date | None) -> int | None:
    return (end - start).days if start is not None and end is not None else None
