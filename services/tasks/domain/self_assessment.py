"""Self-assessment at the start and the end of the path (instruments are data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from statistics import fmean
from typing import Literal

from chassis.errors import Conflict, DomainError, NotFound
from contracts.events.base import EventModel
from contracts.events.tasks import SelfAssessmentSubmitted
from services.tasks.domain.curriculum import WEEKS, Text
from services.tasks.domain.plan import Plan, refuse_if_ended

Phase = Literal["baseline", "final"]
Visibility = Literal["individual", "group_only"]
SCALE = range(0, 4)  # 0 not at all, 1 somewhat, 2 a lot, 3 fully


@dataclass(frozen=True)
class Item:
    item_id: str
    text: Text


@dataclass(frozen=True)
class Area:
    area_id: str
    group: str
    title: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    instrument_id: str
    version: str
    visibility: Visibility
    title: Text
    intro: Text
    scale: tuple[tuple[int, Text], ...]
    areas: tuple[Area, ...]

    @property
    def item_ids(self) -> list[str]:
        return [item.item_id for area in self.areas for item in area.items]


def phase_open(plan: Plan, phase: Phase, today: date) -> bool:
    """The baseline can be given from the start; the final once the last week is open."""
    return phase == "baseline" or plan.open_week(today) >= WEEKS


def submit_self_assessment(
    plan: Plan,
    instrument: Instrument,
    phase: Phase,
    scores: dict[str, int],
    now: datetime,
    today: date,
) -> list[EventModel]:
    if not plan.started:
        raise NotFound("error.not_found")
    # The final self-assessment belongs to the end of the path: it may still be given once
    # the path has been completed (decision 0018); nothing else is taken from an ended path.
    if phase == "baseline" or not phase_open(plan, phase, today):
        refuse_if_ended(plan)
    if (instrument.instrument_id, phase) in plan.assessments:
        raise Conflict("tasks.assessment_already_given")
    if not phase_open(plan, phase, today):
        raise DomainError("tasks.assessment_final_not_yet", week=WEEKS)
    missing = [item for item in instrument.item_ids if item not in scores]
    if missing or any(value not in SCALE for value in scores.values()):
        raise DomainError("tasks.assessment_incomplete", count=len(missing))
    unknown = set(scores) - set(instrument.item_ids)
    if unknown:
        raise DomainError("tasks.assessment_incomplete", count=len(unknown))
    return [
        SelfAssessmentSubmitted(
            pathway_id=plan.pathway_id,
            client_ref=plan.client_ref,
            instrument_id=instrument.instrument_id,
            instrument_version=instrument.version,
            phase=phase,
            scores=scores,
            submitted_at=now,
        )
    ]


@dataclass(frozen=True)
class AreaChange:
    area: Area
    baseline: float
    final: float

    @property
    def change(self) -> float:
        return self.final - self.baseline


def change_by_area(
    instrument: Instrument, baseline: dict[str, int], final: dict[str, int]
) -> list[AreaChange]:
    """Mean score per area at the start and at the end (what the client sees at the end)."""
    return [
        AreaChange(
            area,
            fmean(baseline[item.item_id] for item in area.items),
            fmean(final[item.item_id] for item in area.items),
        )
        for area in instrument.areas
    ]


@dataclass(frozen=True)
class AreaSideBySide:
    """An area's mean at the start and at the end, each None until given."""

    area: Area
    baseline: float | None
    final: float | None


def side_by_side(
    instrument: Instrument, baseline: dict[str, int] | None, final: dict[str, int] | None
) -> list[AreaSideBySide]:
    """What the counselor sees: both phases per area, whichever have been given."""

    def mean(scores: dict[str, int] | None, area: Area) -> float | None:
        if scores is None:
            return None
        return fmean(scores[item.item_id] for item in area.items)

    return [
        AreaSideBySide(area, mean(baseline, area), mean(final, area)) for area in instrument.areas
    ]
