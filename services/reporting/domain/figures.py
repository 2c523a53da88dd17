"""Every figure of a group of paths, computed from their facts alone (pure: no I/O).

When the group itself has 1–4 paths, every figure about it is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from services.reporting.domain.self_assessment import instrument_changes
from services.reporting.domain.statistics import mean, median, share
from services.reporting.domain.suppression import MIN_GROUP, measure, sensitive

SHARE_DIGITS = 3
DAY_DIGITS = 1
MEAN_DIGITS = 2


def compute_figures(
    paths: Sequence[PathFacts], instruments: Mapping[tuple[str, str], Instrument]
) -> FigureSet:
    hide_all = sensitive(len(paths))
    counts = path_counts(paths, hide_all)
    return FigureSet(
        min_group=MIN_GROUP,
        funnel=counts.funnel,
        status=counts.status,
        discontinued=counts.discontinued,
        adherence=adherence(paths, hide_all),
        time=TimeFigures(
            to_direction=duration(
                [_days(p.start_date, p.direction_chosen_on) for p in paths], hide_all
            ),
            to_completion=duration(
                [_days(p.start_date, p.ended_on) for p in paths if p.ending == "completed"],
                hide_all,
            ),
        ),
        direction=counts.direction,
        guidance=GuidanceFigures(
            requested=meetings([p.meetings_requested for p in paths], hide_all),
            held=meetings([p.meetings_held for p in paths], hide_all),
            missed=meetings([p.meetings_missed for p in paths], hide_all),
        ),
        outcomes=counts.outcomes,
        self_assessment=instrument_changes(paths, instruments, hide_all),
    )


def adherence(paths: Sequence[PathFacts], hide_all: bool = False) -> AdherenceFigures:
    def of(weeks: list[Iterable[WeekFacts]]) -> Adherence:
        """`weeks`: per path, the weeks that count."""
        per_path = [(sum(w.on_time for w in ws), sum(w.late for w in ws)) for ws in weeks]
        on_time = sum(on for on, _ in per_path)
        late = sum(late for _, late in per_path)
        # The clients who answered, those with an answer on time and those with a late one:
        # a share rests on each of these groups, so none of them may be 1–4 people.
        bases = (
            sum(1 for on, late in per_path if on + late),
            sum(1 for on, _ in per_path if on),
            sum(1 for _, late in per_path if late),
        )
        on_share = share(on_time, on_time + late)
        late_share = share(late, on_time + late)
        return Adherence(
            on_time_share=measure(_rounded(on_share, SHARE_DIGITS), *bases, hide=hide_all),
            late_share=measure(_rounded(late_share, SHARE_DIGITS), *bases, hide=hide_all),
        )

    by_week = []
    for week in range(1, WEEKS + 1):
        shares = of([[p.weeks[week]] for p in paths if week in p.weeks])
        by_week.append(
            WeekAdherence(
                week=week, on_time_share=shares.on_time_share, late_share=shares.late_share
            )
        )
    return AdherenceFigures(overall=of([p.weeks.values() for p in paths]), by_week=by_week)


def duration(days: Iterable[int | None], hide_all: bool = False) -> Duration:
    values = [d for d in days if d is not None]
    return Duration(
        median_days=measure(_rounded(median(values), DAY_DIGITS), len(values), hide=hide_all),
        mean_days=measure(_rounded(mean(values), DAY_DIGITS), len(values), hide=hide_all),
    )


def meetings(per_path: Sequence[int], hide_all: bool = False) -> MeetingFigures:
    """A total and its mean over every path, hidden when 1–4 paths had any."""
    total = sum(per_path)
    had_any = sum(1 for n in per_path if n)
    per_client = _rounded(share(total, len(per_path)), MEAN_DIGITS)
    return MeetingFigures(
        total=measure(total, had_any, hide=hide_all),
        mean_per_client=measure(per_client, had_any, hide=hide_all),
    )


def _days(start: date | None, end: date | None) -> int | None:
    return (end - start).days if start is not None and end is not None else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
