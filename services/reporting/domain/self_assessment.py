"""Change in the self-assessment from the baseline to the final answers, per area.

For each path with both answers of an instrument, an area's score is the mean of its items in
each phase (each phase read with the items of the version it was answered in), and the change
is final − baseline. Per area: the mean change with its 95 % t interval, the means at both ends,
and the share whose score rose. Group-only instruments are treated alike: reporting shows
nothing but group figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import fmean

from services.reporting.domain.facts import Instrument, InstrumentArea, PathFacts, Scores
from services.reporting.domain.figure_set import AreaChange, InstrumentChange
from services.reporting.domain.statistics import mean_interval, share
from services.reporting.domain.suppression import HIDDEN, NOTHING, Figure, measure, shown

SCORE_DIGITS = 3


def instrument_changes(
    paths: Sequence[PathFacts],
    instruments: Mapping[tuple[str, str], Instrument],
    hide_all: bool = False,
) -> list[InstrumentChange]:
    """One entry per instrument id (its latest version names the areas), in id order."""
    latest: dict[str, Instrument] = {}
    for (instrument_id, _), instrument in sorted(
        instruments.items(), key=lambda item: (item[0][0], _version_key(item[0][1]))
    ):
        latest[instrument_id] = instrument
    return [
        _instrument_change(paths, instruments, instrument, hide_all)
        for _, instrument in sorted(latest.items())
    ]


def _instrument_change(
    paths: Sequence[PathFacts],
    instruments: Mapping[tuple[str, str], Instrument],
    instrument: Instrument,
    hide_all: bool,
) -> InstrumentChange:
    pairs = [
        (baseline, final)
        for p in paths
        if (baseline := p.assessments.get((instrument.instrument_id, "baseline"))) is not None
        and (final := p.assessments.get((instrument.instrument_id, "final"))) is not None
    ]
    return InstrumentChange(
        instrument_id=instrument.instrument_id,
        visibility=instrument.visibility,
        title=dict(instrument.title),
        clients=HIDDEN if hide_all else shown(len(pairs)),
        areas=[
            _area_change(instruments, instrument, area, pairs, hide_all)
            for area in instrument.areas
        ],
    )


def _area_change(
    instruments: Mapping[tuple[str, str], Instrument],
    instrument: Instrument,
    area: InstrumentArea,
    pairs: list[tuple[Scores, Scores]],
    hide_all: bool,
) -> AreaChange:
    before: list[float] = []
    after: list[float] = []
    for baseline, final in pairs:
        b = _area_mean(instruments, instrument.instrument_id, area.area_id, baseline)
        f = _area_mean(instruments, instrument.instrument_id, area.area_id, final)
        if b is not None and f is not None:
            before.append(b)
            after.append(f)
    changes = [f - b for b, f in zip(before, after, strict=True)]
    n = len(changes)
    improved = sum(1 for change in changes if change > 0)
    interval = mean_interval(changes)

    def fig(value: float | None, *bases: int) -> Figure:
        if hide_all:
            return HIDDEN
        if not changes:
            return NOTHING
        return measure(None if value is None else round(value, SCORE_DIGITS), n, *bases)

    return AreaChange(
        area_id=area.area_id,
        title=dict(area.title),
        baseline_mean=fig(fmean(before) if before else None),
        final_mean=fig(fmean(after) if after else None),
        mean_change=fig(interval.mean if interval else None),
        ci_low=fig(interval.low if interval else None),
        ci_high=fig(interval.high if interval else None),
        # Those who rose and those who did not are both groups: neither may be 1–4.
        improved_share=fig(share(improved, n), improved, n - improved),
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
