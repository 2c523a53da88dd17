"""The figures of a group of paths, from hand-made facts (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.reporting.domain.cell_key import MAX_DEVIATION, cell_key, perturbed_count, record_key
from services.reporting.domain.facts import (
    Instrument,
    InstrumentArea,
    PathFacts,
    Scores,
    WeekFacts,
)
from services.reporting.domain.figure_set import Duration
from services.reporting.domain.figures import adherence, compute_figures, duration, meetings
from services.reporting.domain.published import HIDDEN, NOTHING, Figure

START = date(2026, 1, 5)


def path(**facts: Any) -> PathFacts:
    return PathFacts(pathway_id=uuid4(), start_date=START, **facts)


def figures_in(value: Any) -> Iterator[Figure]:
    """Every Figure in a figure set, however deep."""
    if isinstance(value, Figure):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from figures_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from figures_in(item)
    elif hasattr(value, "__dict__"):
        for item in vars(value).values():
            yield from figures_in(item)


@pytest.mark.parametrize("paths", [1, 4])
def test_a_group_of_one_to_four_paths_shows_its_counts_but_no_share_or_mean(paths: int) -> None:
    """Counts are perturbed, so they are shown; a share or mean on under five paths is not."""
    group = [
        path(
            answers=2,
            direction="work",
            ending="completed",
            ended_on=START + timedelta(84),
            weeks={1: WeekFacts(on_time=1)},
            outcomes={"end": "employed"},
        )
        for _ in range(paths)
    ]
    figures = compute_figures(group, {})
    assert figures.funnel.opened == Figure(paths, False)  # record keys 0: no noise
    assert figures.outcomes["end"].shares["employed"] == HIDDEN
    assert figures.adherence.overall.on_time_share == HIDDEN
    assert figures.time.to_completion.mean_days == HIDDEN
    assert figures.guidance.held.mean_per_client == HIDDEN


def test_every_count_is_the_true_one_moved_by_its_cells_noise() -> None:
    """With real record keys: each count within ±2 of the truth, exactly as its cell's key
    says, and the same group asked for again gets the same figures."""
    group = [
        replace(
            path(answers=1 if n % 3 else 0, direction="work" if n % 2 else None),
            record_key=record_key(b"test secret", "t", uuid4()),
        )
        for n in range(30)
    ]
    figures = compute_figures(group, {})
    started = [p for p in group if p.furthest_stage >= 1]
    expected = perturbed_count(len(started), cell_key(p.record_key for p in started))
    assert figures.funnel.started == Figure(expected, False)
    assert abs(expected - len(started)) <= MAX_DEVIATION
    assert compute_figures(list(reversed(group)), {}) == figures


def test_an_empty_group_shows_zeros_and_nothing_to_compute() -> None:
    figures = compute_figures([], {})
    assert figures.funnel.opened == Figure(0, False)
    assert figures.time.to_direction.median_days == NOTHING
    assert figures.outcomes["end"].shares["employed"] == NOTHING


def test_the_latest_week_ignores_weeks_opened_after_the_end() -> None:
    weeks = {w: WeekFacts(opened_on=START + timedelta(7 * (w - 1))) for w in range(1, 4)}
    ended = path(weeks=weeks, ending="discontinued", ended_on=START + timedelta(10))
    assert ended.latest_week == 2  # week 3 opened on day 14, after the end on day 10
    assert path(weeks=weeks).latest_week == 3


def test_the_furthest_stage_is_the_furthest_step_taken() -> None:
    week_5 = {5: WeekFacts(opened_on=START + timedelta(28))}
    assert path().furthest_stage == 0
    assert path(answers=1).furthest_stage == 1
    assert path(weeks=week_5).furthest_stage == 2  # reached week 5 without answering
    assert path(direction="work").furthest_stage == 3
    assert path(ending="completed", ended_on=START).furthest_stage == 4


def test_adherence_shares_per_week_and_overall() -> None:
    # Week 1: six paths answer twice on time, four once on time and once late:
    # on time 12 + 4 = 16 of 20 = 0.8, late 0.2 (10 clients answered).
    # Week 2: five paths answer once late, five once on time: 0.5 and 0.5.
    # Overall: on time 16 + 5 = 21 of 30 = 0.7; late 9 of 30 = 0.3.
    group = (
        [path(weeks={1: WeekFacts(on_time=2), 2: WeekFacts(on_time=1)}) for _ in range(5)]
        + [path(weeks={1: WeekFacts(on_time=2), 2: WeekFacts(late=1)})]
        + [path(weeks={1: WeekFacts(on_time=1, late=1), 2: WeekFacts(late=1)}) for _ in range(4)]
    )
    figures = adherence(group)
    week_1, week_2 = figures.by_week[0], figures.by_week[1]
    assert (week_1.on_time_share, week_1.late_share) == (Figure(0.8, False), Figure(0.2, False))
    assert (week_2.on_time_share, week_2.late_share) == (Figure(0.5, False), Figure(0.5, False))
    assert figures.overall.on_time_share == Figure(0.7, False)
    assert figures.overall.late_share == Figure(0.3, False)
    assert figures.by_week[2].on_time_share == NOTHING  # nobody answered in week 3
    # Four answering clients are too few for a share.
    assert adherence(group[6:]).by_week[0].on_time_share == HIDDEN


def completed_after(*days: int | None) -> list[PathFacts]:
    return [
        path(ending="completed", ended_on=None if d is None else START + timedelta(d)) for d in days
    ]


def to_completion(paths: list[PathFacts]) -> Duration:
    return duration(paths, lambda p: None if p.ended_on is None else (p.ended_on - START).days)


def test_durations_median_and_mean() -> None:
    # 84, 84, 88, 91, 98: the mean 445 / 5 = 89; a median needs twenty paths.
    figures = to_completion(completed_after(84, 98, 88, None, 91, 84))
    assert (figures.median_days, figures.mean_days) == (HIDDEN, Figure(89.0, False))
    # Twenty: ten of 30 and ten of 33 → the median (30 + 33) / 2 = 31.5, shown as whole days.
    figures = to_completion(completed_after(*[30] * 10, *[33] * 10))
    assert figures.median_days == Figure(32.0, False) and figures.mean_days == Figure(31.5, False)
    assert to_completion(completed_after(30, 31, 32, 33)).mean_days == HIDDEN


def test_meetings_total_and_mean_per_client() -> None:
    # Six paths, five held meetings: 1 + 2 + 0 + 1 + 1 + 1 = 6 over 6 paths = 1.0 each.
    held = meetings([path(meetings_held=n) for n in (1, 2, 0, 1, 1, 1)], lambda p: p.meetings_held)
    assert (held.total, held.mean_per_client) == (Figure(6, False), Figure(1.0, False))
    nobody = meetings([path() for _ in range(6)], lambda p: p.meetings_held)
    assert nobody.mean_per_client == Figure(0.0, False)
    few = meetings([path(meetings_held=1) for _ in range(3)], lambda p: p.meetings_held)
    assert few.total == Figure(3, False) and few.mean_per_client == HIDDEN


INSTRUMENT_V1 = Instrument(
    "kysely",
    "1",
    "individual",
    {"fi": "Kysely"},
    (InstrumentArea("alue", {"fi": "Alue"}, ("a-1", "a-2")),),
)
INSTRUMENT_V2 = Instrument(
    "kysely",
    "2",
    "individual",
    {"fi": "Kysely 2"},
    (InstrumentArea("alue", {"fi": "Alue"}, ("a-1", "a-3")),),
)
INSTRUMENTS = {("kysely", "1"): INSTRUMENT_V1, ("kysely", "2"): INSTRUMENT_V2}


def answered(
    baseline: dict[str, int], final: dict[str, int], final_version: str = "1"
) -> PathFacts:
    return path(
        assessments={
            ("kysely", "baseline"): Scores("1", baseline),
            ("kysely", "final"): Scores(final_version, final),
        }
    )


def test_self_assessment_change_with_its_interval() -> None:
    # Area means (baseline → final): 0.5 → 1 (+0.5), 1 → 2 (+1), 2 → 2 (0), 1.5 → 1 (−0.5),
    # 0 → 1.5 (+1.5). Changes: mean 0.5; deviations 0, .5, −.5, −1, 1 → squares sum 2.5,
    # s² = 2.5 / 4 = 0.625, s = 0.7906, s/√5 = 0.35355, t(4) = 2.776 → ± 0.98146, widened by
    # the most the perturbation could move the mean: ½ × the largest change 1.5 / 5 = 0.15.
    # Improved 3 of 5: 0.6.
    # The fifth answered its final in version 2, whose area is a-1 and a-3: (1 + 2) / 2 = 1.5.
    group = [
        answered({"a-1": 0, "a-2": 1}, {"a-1": 1, "a-2": 1}),
        answered({"a-1": 1, "a-2": 1}, {"a-1": 2, "a-2": 2}),
        answered({"a-1": 2, "a-2": 2}, {"a-1": 2, "a-2": 2}),
        answered({"a-1": 1, "a-2": 2}, {"a-1": 1, "a-2": 1}),
        answered({"a-1": 0, "a-2": 0}, {"a-1": 1, "a-3": 2}, final_version="2"),
        path(assessments={("kysely", "baseline"): Scores("1", {"a-1": 3, "a-2": 3})}),
    ]
    (change,) = compute_figures(group, INSTRUMENTS).self_assessment
    assert change.title == {"fi": "Kysely 2"}  # the latest version names the areas
    assert change.clients == Figure(5, False)
    (area,) = change.areas
    assert area.baseline_mean == Figure(1.0, False)  # (0.5 + 1 + 2 + 1.5 + 0) / 5
    assert area.final_mean == Figure(1.5, False)  # (1 + 2 + 2 + 1 + 1.5) / 5
    assert area.mean_change == Figure(0.5, False)
    assert area.ci_low == Figure(-0.631, False)
    assert area.ci_high == Figure(1.631, False)
    assert area.improved_share == Figure(0.6, False)


def test_the_share_improved_with_its_interval_for_ten() -> None:
    up = [answered({"a-1": 1, "a-2": 1}, {"a-1": 2, "a-2": 2}) for _ in range(5)]
    same = [answered({"a-1": 1, "a-2": 1}, {"a-1": 1, "a-2": 1}) for _ in range(5)]
    (change,) = compute_figures(up + same, INSTRUMENTS).self_assessment
    # Changes: five of 1, five of 0 → mean 0.5, s = 0.527, s/√10 = 0.16667, t(9) = 2.262;
    # widened by ½ × 1 / 10 = 0.05.
    assert change.areas[0].improved_share == Figure(0.5, False)
    assert change.areas[0].ci_low == Figure(round(0.5 - 2.262 * 0.1666667 - 0.05, 3), False)
