"""Change in the self-assessment from the baseline to the final answers, per area.

For each path with both answers of an instrument, an area's score is the mean of its items in
each phase (each phase read with the items of the version it was answered in), and the change
is final − baseline. Per area: the mean change with its 95 % t interval, the means at both ends,
and the share whose score rose, each made of sums published under the cell-key method
(decision 0031). Group-only instruments are treated alike: reporting shows nothing but group
figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import fmean

from services.reporting.domain.cell_key import MAGNITUDE_SHARE
from services.reporting.domain.facts import Instrument, InstrumentArea, PathFacts, Scores
from services.reporting.domain.figure_set import AreaChange, InstrumentChange
from services.reporting.domain.published import (
    HIDDEN,
    MIN_BASE,
    NOTHING,
    Cell,
    Figure,
    Magnitude,
    mean,
    share,
)
from services.reporting.domain.statistics import t_critical

SCORE_DIGITS = 3

Answered = tuple[PathFacts, Scores, Scores]  # a path with its baseline and final answers


def instrument_changes(
    paths: Sequence[PathFacts], instruments: Mapping[tuple[str, str], Instrument]
) -> list[InstrumentChange]:
    """One entry per instrument id (its latest version names the areas), in id order."""
    latest: dict[str, Instrument] = {}
    for (instrument_id, _), instrument in sorted(
        instruments.items(), key=lambda item: (item[0][0], _version_key(item[0][1]))
    ):
        latest[instrument_id] = instrument
    return [
        _instrument_change(paths, instruments, instrument)
        for _, instrument in sorted(latest.items())
    ]


def _instrument_change(
    paths: Sequence[PathFacts],
    instruments: Mapping[tuple[str, str], Instrument],
    instrument: Instrument,
) -> InstrumentChange:
    answered: list[Answered] = [
        (p, baseline, final)
        for p in paths
        if (baseline := p.assessments.get((instrument.instrument_id, "baseline"))) is not None
        and (final := p.assessments.get((instrument.instrument_id, "final"))) is not None
    ]
    return InstrumentChange(
        instrument_id=instrument.instrument_id,
        visibility=instrument.visibility,
        title=dict(instrument.title),
        clients=Cell.of(p for p, _, _ in answered).figure(),
        areas=[_area_change(instruments, instrument, area, answered) for area in instrument.areas],
    )


def _area_change(
    instruments: Mapping[tuple[str, str], Instrument],
    instrument: Instrument,
    area: InstrumentArea,
    answered: list[Answered],
) -> AreaChange:
    scored: list[tuple[PathFacts, float, float]] = []
    for path, baseline, final in answered:
        b = _area_mean(instruments, instrument.instrument_id, area.area_id, baseline)
        f = _area_mean(instruments, instrument.instrument_id, area.area_id, final)
        if b is not None and f is not None:
            scored.append((path, b, f))
    changes = Magnitude.of((p, f - b) for p, b, f in scored)
    low, high = _interval(scored, changes)
    n = changes.cell.published
    return AreaChange(
        area_id=area.area_id,
        title=dict(area.title),
        baseline_mean=mean(Magnitude.of((p, b) for p, b, _ in scored), SCORE_DIGITS),
        final_mean=mean(Magnitude.of((p, f) for p, _, f in scored), SCORE_DIGITS),
        mean_change=mean(changes, SCORE_DIGITS),
        ci_low=low,
        ci_high=high,
        improved_share=share(Cell.of(p for p, b, f in scored if f > b).published, n, n),
    )


def _interval(
    scored: list[tuple[PathFacts, float, float]], changes: Magnitude
) -> tuple[Figure, Figure]:
    """The 95 % t interval of the mean change, from the published sums of the changes and of
    their squares, widened by the most the perturbation can have moved the mean."""
    n = changes.cell.published
    if n == 0:
        return NOTHING, NOTHING
    if n < MIN_BASE:
        return HIDDEN, HIDDEN
    squares = Magnitude.of((p, (f - b) ** 2) for p, b, f in scored).published
    centre = changes.published / n
    variance = max(0.0, (squares - n * centre**2) / (n - 1))
    moved = float(MAGNITUDE_SHARE) * changes.largest / n
    half = t_critical(n - 1) * math.sqrt(variance / n) + moved
    return (
        Figure(round(centre - half, SCORE_DIGITS), False),
        Figure(round(centre + half, SCORE_DIGITS), False),
    )


def _area_mean(
    instruments: Mapping[tuple[str, str], Instrument],
    instrument_id: str,
    area_id: str,
    answered: Scores,
) -> float | None:
    """The area's mean in the version the answers were given in (None if it lacks the area)."""
    version = instruments.get((instrument_id, answered.instrument_version))
    area = version.area(area_id) if version is not None else None
    if area is None:
        return None
    values = [answered.scores[item] for item in area.item_ids if item in answered.scores]
    return fmean(values) if values else None


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (0, version)
