"""A known history of events, applied through the chassis Projector to a real PostgreSQL
database, gives figures that were worked out by hand; replaying it in another order, or twice,
gives the same rows.

The history (tenant kanta-hame unless said):
- cohort 2026-kevat, Forssa, opened 2 Jan 2026, start 5 Jan 2026 (week w opens 5 Jan + 7(w − 1)):
  C1–C5 completed, A1–A5 running with a direction, D1–D6 discontinued before week 5 (16 paths);
- cohort 2026-syksy, Jokioinen, opened 28 Aug 2026, start 31 Aug: S1–S3, running (3 paths);
- one path of another tenant (pirkanmaa) in the spring, X1.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import pytest

from chassis.clock import HELSINKI
from chassis.event_store import GlobalPosition
from chassis.outbox import Outbox
from chassis.projector import REWRITTEN_ON_REPLAY, Projector
from chassis.versioned_keys import VersionedKey
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import (
    PathwayCompleted,
    PathwayDiscontinued,
    PathwayOpened,
    SuitabilityConfirmation,
)
from contracts.events.guidance import (
    GuidanceMeetingHeld,
    GuidanceMeetingRequested,
    OutcomeRecorded,
)
from contracts.events.tasks import (
    DirectionChanged,
    DirectionChosen,
    SelfAssessmentSubmitted,
    TaskAnswered,
    WeekOpened,
)
from contracts.public import MonthlyStatistics
from contracts.registry import make_envelope
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS, public_topic
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.adapters.figures_cache import FiguresCache
from services.reporting.adapters.figures_projection import FIGURES, TABLES
from services.reporting.adapters.figures_query import Filters, read_figures
from services.reporting.adapters.instrument_files import load_instruments
from services.reporting.adapters.statistics_publisher import publish_statistics_once
from services.reporting.domain.cell_key import (
    MAX_DEVIATION,
    cell_key,
    perturbed_sum,
    record_key,
)
from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.published import MIN_BASE, Cell
from services.reporting.domain.statistics import t_critical
from services.reporting.settings import DEFAULT_INSTRUMENTS_DIR
from services.reporting.tests.database import reporting_pool

TENANT = "kanta-hame"
SPRING, AUTUMN = date(2026, 1, 5), date(2026, 8, 31)
ALL_CONFIRMED = SuitabilityConfirmation(
    life_management=True,
    digital_skills=True,
    self_assessment_ability=True,
    strong_identification=True,
)
INSTRUMENTS = load_instruments(DEFAULT_INSTRUMENTS_DIR)
PRIMARY = INSTRUMENTS[("digipolku-itsearvio", "1")]
GROUP_ONLY = INSTRUMENTS[("ryhmaindikaattori", "1")]


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), HELSINKI)


@dataclass
class History:
    """One path's events, as its three services would have published them."""

    key: str
    start: date = SPRING
    cohort: str = "2026-kevat"
    municipality: str = "Forssa"
    unit: str = "Kuntouttava työtoiminta"
    tenant: str = TENANT
    weeks: int = 0  # weeks 1..weeks opened on schedule
    answers: dict[int, tuple[int, int]] = field(default_factory=dict)  # week → (on time, late)
    needs_help: int | None = None  # a week in which the client asked for help
    direction: tuple[str, int] | None = None  # (direction, days after the start)
    changed_to: str | None = None
    ending: tuple[str, int, str | None] | None = None  # (kind, days after start, reason)
    late_week_after_end: bool = False  # the calendar opened one more week after the end
    requested: int = 0
    held: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)
    # instrument id → (baseline scores, final scores or None)
    assessments: dict[str, tuple[dict[str, int], dict[str, int] | None]] = field(
        default_factory=dict
    )

    @property
    def pathway_id(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"digipolku:test:{self.key}")

    def day(self, days: int) -> date:
        return self.start + timedelta(days=days)

    def topics(self) -> dict[str, list[EventEnvelope]]:
        """Each topic's events of this path, in stream order."""
        client = f"c-{self.key}"
        enrolment: list[tuple[EventModel, datetime]] = [
            (
                PathwayOpened(
                    pathway_id=self.pathway_id,
                    client_ref=client,
                    municipality=self.municipality,
                    unit=self.unit,
                    cohort=self.cohort,
                    start_date=self.start,
                    counselor_ids=["staff-1"],
                    suitability_confirmed=ALL_CONFIRMED,
                ),
                at(self.day(-3), 9),
            )
        ]
        tasks: list[tuple[EventModel, datetime]] = []
        guidance: list[tuple[EventModel, datetime]] = []
        opened = self.weeks + (1 if self.late_week_after_end else 0)
        for week in range(1, opened + 1):
            opened_on = self.day(7 * (week - 1))
            tasks.append(
                (
                    WeekOpened(
                        pathway_id=self.pathway_id,
                        client_ref=client,
                        week=week,
                        opened_on=opened_on,
                        early=False,
                    ),
                    at(opened_on, 6),
                )
            )
            on_time, late = self.answers.get(week, (0, 0))
            kinds = ["answer"] * (on_time + late) + (["help"] if self.needs_help == week else [])
            for number, kind in enumerate(kinds):
                answered_at = at(opened_on + timedelta(days=1), 10 + number)
                answer = self._answer(client, week, number, kind, late=number >= on_time)
                tasks.append((answer, answered_at))
            if self.direction and week == 5:
                direction, days = self.direction
                chosen_at = at(self.day(days), 15)
                tasks.append(
                    (
                        DirectionChosen(
                            pathway_id=self.pathway_id,
                            client_ref=client,
                            direction=direction,
                            week=5,
                            chosen_at=chosen_at,
                        ),
                        chosen_at,
                    )
                )
                if self.changed_to:
                    changed_at = at(self.day(days + 14), 9)
                    tasks.append(
                        (
                            DirectionChanged(
                                pathway_id=self.pathway_id,
                                client_ref=client,
                                from_direction=direction,
                                to_direction=self.changed_to,
                                changed_at=changed_at,
                                agreed_with_counselor_id="staff-1",
                            ),
                            changed_at,
                        )
                    )
        for instrument_id, (baseline, final) in self.assessments.items():
            for phase, scores, day in (("baseline", baseline, 0), ("final", final, 80)):
                if scores is not None:
                    submitted_at = at(self.day(day), 11)
                    tasks.append(
                        (
                            SelfAssessmentSubmitted(
                                pathway_id=self.pathway_id,
                                client_ref=client,
                                instrument_id=instrument_id,
                                instrument_version="1",
                                phase=phase,
                                scores=scores,
                                submitted_at=submitted_at,
                            ),
                            submitted_at,
                        )
                    )
        for number in range(max(self.requested, self.held)):
            meeting_id = uuid5(self.pathway_id, f"meeting-{number}")
            when = at(self.day(10 + number), 13)
            if number < self.requested:
                guidance.append(
                    (
                        GuidanceMeetingRequested(
                            pathway_id=self.pathway_id,
                            meeting_id=meeting_id,
                            requested_by="client",
                            requested_at=when - timedelta(days=3),
                        ),
                        when - timedelta(days=3),
                    )
                )
            if number < self.held:
                guidance.append(
                    (
                        GuidanceMeetingHeld(
                            pathway_id=self.pathway_id,
                            meeting_id=meeting_id,
                            held_at=when,
                            task_ids=[],
                        ),
                        when,
                    )
                )
        if self.ending:
            kind, days, reason = self.ending
            ended_on = self.day(days)
            event: EventModel = (
                PathwayCompleted(pathway_id=self.pathway_id, completed_on=ended_on)
                if kind == "completed"
                else PathwayDiscontinued(
                    pathway_id=self.pathway_id,
                    discontinued_on=ended_on,
                    reason=reason,
                )
            )
            enrolment.append((event, at(ended_on, 16)))
            for follow_up, outcome in self.outcomes.items():
                months = {"end": 0, "3m": 3, "6m": 6}[follow_up]
                recorded_at = at(ended_on + timedelta(days=30 * months + 1), 10)
                guidance.append(
                    (
                        OutcomeRecorded(
                            pathway_id=self.pathway_id,
                            client_ref=client,
                            follow_up=follow_up,
                            outcome=outcome,
                            outcome_date=ended_on + timedelta(days=30 * months),
                            recorded_at=recorded_at,
                        ),
                        recorded_at,
                    )
                )
        return {
            ENROLMENT_EVENTS: self._envelopes(enrolment),
            TASKS_EVENTS: self._envelopes(tasks),
            GUIDANCE_EVENTS: self._envelopes(guidance),
        }

    def _answer(self, client: str, week: int, number: int, kind: str, late: bool) -> TaskAnswered:
        return TaskAnswered(
            pathway_id=self.pathway_id,
            client_ref=client,
            task_id=f"w{week:02d}-t{number + 1}",
            week=week,
            answer_id=uuid5(self.pathway_id, f"answer-{week}-{number}"),
            answer_length=0 if kind == "help" else 120,
            kind="needs_help" if kind == "help" else "answer",
            late=late and kind != "help",
            answered_at=at(self.day(7 * (week - 1) + 1), 10 + number),
        )

    def _envelopes(self, events: list[tuple[EventModel, datetime]]) -> list[EventEnvelope]:
        return [
            make_envelope(
                event,
                stream_id=str(self.pathway_id),
                stream_version=version,
                tenant=self.tenant,
                correlation_id=uuid5(self.pathway_id, "correlation"),
                causation_id=None,
                actor=Actor(role="system", id="test"),
                occurred_at=occurred_at,
            )
            for version, (event, occurred_at) in enumerate(events, start=1)
        ]


def scores(instrument: Any, by_area: dict[str, list[int] | int], default: int) -> dict[str, int]:
    """Every item of the instrument: an area's items get its value (or values in item order)."""
    given: dict[str, int] = {}
    for area in instrument.areas:
        values = by_area.get(area.area_id, default)
        for number, item in enumerate(area.item_ids):
            given[item] = values[number] if isinstance(values, list) else values
    return given


def assessed(
    self_knowledge: tuple[int, int], participation: tuple[int, int]
) -> dict[str, tuple[dict[str, int], dict[str, int] | None]]:
    """Baseline and final answers: self_knowledge and participation as given (every item of
    the area alike); wellbeing items 0, 1, 2 → 1, 2, 2; every other area 1 → 1."""
    return {
        PRIMARY.instrument_id: (
            scores(PRIMARY, {"self_knowledge": self_knowledge[0], "wellbeing": [0, 1, 2]}, 1),
            scores(PRIMARY, {"self_knowledge": self_knowledge[1], "wellbeing": [1, 2, 2]}, 1),
        ),
        GROUP_ONLY.instrument_id: (
            scores(GROUP_ONLY, {}, participation[0]),
            scores(GROUP_ONLY, {}, participation[1]),
        ),
    }


def baseline_only() -> dict[str, tuple[dict[str, int], dict[str, int] | None]]:
    return {PRIMARY.instrument_id: (scores(PRIMARY, {}, 3), None)}


HISTORY = [
    # C1–C5: completed. Answers: week 1 two on time; week 2 one (C5 late); week 5 one on time.
    History(
        "C1",
        weeks=12,
        answers={1: (2, 0), 2: (1, 0), 5: (1, 0)},
        direction=("work", 28),
        ending=("completed", 84, None),
        requested=1,
        held=1,
        outcomes={"end": "employed", "3m": "employed"},
        assessments=assessed((1, 2), (1, 2)),
    ),
    History(
        "C2",
        weeks=12,
        answers={1: (2, 0), 2: (1, 0), 5: (1, 0)},
        direction=("work", 29),
        ending=("completed", 84, None),
        requested=1,
        held=1,
        outcomes={"end": "employed", "3m": "employed"},
        assessments=assessed((1, 2), (1, 2)),
    ),
    History(
        "C3",
        weeks=12,
        answers={1: (2, 0), 2: (1, 0), 5: (1, 0)},
        direction=("education", 30),
        changed_to="work",
        ending=("completed", 88, None),
        requested=1,
        held=1,
        outcomes={"end": "employed", "3m": "employed"},
        assessments=assessed((2, 2), (1, 2)),
    ),
    History(
        "C4",
        weeks=12,
        answers={1: (2, 0), 2: (1, 0), 5: (1, 0)},
        direction=("education", 30),
        ending=("completed", 91, None),
        requested=1,
        outcomes={"end": "studies"},
        assessments=assessed((0, 2), (1, 1)),
    ),
    History(
        "C5",
        weeks=12,
        answers={1: (2, 0), 2: (0, 1), 5: (1, 0)},
        direction=("education", 31),
        ending=("completed", 98, None),
        outcomes={"end": "studies"},
        assessments=assessed((2, 1), (1, 1)),
    ),
    # A1–A5: running in week 6 with a direction; A1 and A2 gave only the baseline.
    History(
        "A1",
        weeks=6,
        answers={1: (2, 0), 2: (1, 0)},
        direction=("work", 32),
        requested=1,
        assessments=baseline_only(),
    ),
    History(
        "A2",
        weeks=6,
        answers={1: (2, 0), 2: (1, 0)},
        direction=("work", 33),
        requested=1,
        assessments=baseline_only(),
    ),
    History(
        "A3",
        weeks=6,
        answers={1: (2, 0), 2: (1, 0)},
        direction=("education", 35),
        requested=2,
    ),
    History("A4", weeks=6, answers={1: (2, 0), 2: (0, 1)}, direction=("education", 35)),
    History("A5", weeks=6, answers={1: (2, 0), 2: (0, 1)}, direction=("education", 37)),
    # D1: never answered; ended in week 2 (week 3 opened by the calendar after the end).
    History(
        "D1",
        weeks=2,
        late_week_after_end=True,
        ending=("discontinued", 9, "health"),
        outcomes={"end": "none"},
    ),
    # D2–D6: answered week 1 (one on time, one late), ended in week 4.
    History(
        "D2",
        weeks=4,
        answers={1: (1, 1)},
        needs_help=2,
        ending=("discontinued", 23, "health"),
        outcomes={"end": "none"},
    ),
    History(
        "D3",
        weeks=4,
        answers={1: (1, 1)},
        ending=("discontinued", 23, "own_request"),
        outcomes={"end": "employed", "3m": "employed"},
    ),
    History(
        "D4",
        weeks=4,
        answers={1: (1, 1)},
        ending=("discontinued", 23, "own_request"),
        outcomes={"end": "employed", "3m": "employed"},
    ),
    History(
        "D5",
        weeks=4,
        answers={1: (1, 1)},
        ending=("discontinued", 23, "own_request"),
        outcomes={"end": "work_trial"},
    ),
    History(
        "D6",
        weeks=4,
        answers={1: (1, 1)},
        ending=("discontinued", 23, "own_request"),
        outcomes={"end": "none"},
    ),
    # S1–S3: the autumn cohort, in week 2.
    *(
        History(
            f"S{n}",
            start=AUTUMN,
            cohort="2026-syksy",
            municipality="Jokioinen",
            weeks=2,
            answers={1: (1, 0)},
        )
        for n in (1, 2, 3)
    ),
    History("X1", tenant="pirkanmaa", weeks=1, answers={1: (1, 0)}),
]


def by_topic(order: list[str]) -> Iterator[tuple[str, EventEnvelope]]:
    """Every event, one topic after another in the given order, paths interleaved."""
    histories = [history.topics() for history in HISTORY]
    for topic in order:
        longest = max(len(h[topic]) for h in histories)
        for position in range(longest):
            for history in histories:
                if position < len(history[topic]):
                    yield topic, history[topic][position]


@pytest.fixture
async def pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with reporting_pool(infrastructure) as pool:
        yield pool


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[str]]:
    return {
        table: sorted(
            r["row"]
            for r in await pool.fetch(
                f"SELECT (to_jsonb(t) - $1::text[])::text AS row FROM {table} t",
                sorted(REWRITTEN_ON_REPLAY),
            )
        )
        for table in TABLES
    }


def shown(value: Any) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


HIDDEN = {"value": None, "suppressed": True}
NOTHING = {"value": None, "suppressed": False}
KEVAT = Filters(cohort="2026-kevat")

# The cell-key method's secret for this test (decision 0031): every expected figure below is
# the hand-worked true value moved by the noise its paths' record keys give it.
RECORD_KEYS = VersionedKey(1, b"known history cell key secret")
BY_NAME = {history.key: history for history in HISTORY}
C, A, D, S = "C1 C2 C3 C4 C5", "A1 A2 A3 A4 A5", "D1 D2 D3 D4 D5 D6", "S1 S2 S3"


def cell(names: str) -> Cell:
    """The cell of the named paths, as reporting computes it."""
    chosen = [BY_NAME[name] for name in names.split()]
    return Cell(
        len(chosen),
        cell_key(record_key(RECORD_KEYS.secret, h.tenant, h.pathway_id) for h in chosen),
    )


def count(names: str) -> int:
    """The published count of the named paths, checked to be within the stated noise."""
    true, published = len(names.split()), cell(names).published
    assert abs(published - true) <= MAX_DEVIATION
    return published


def counted(names: str) -> dict[str, Any]:
    return shown(count(names))


def share_of(part: str, whole: str) -> dict[str, Any]:
    """A share of published counts: empty parts count 0 (an empty cell has no noise)."""
    of_part = count(part) if part else 0
    of_whole = count(whole)
    if of_whole < MIN_BASE:
        return HIDDEN
    return shown(round(min(1.0, of_part / of_whole), 3))


def mean_of(values: Mapping[str, float], digits: int) -> dict[str, Any]:
    """A published sum over a published count, the sum moved within half its largest value."""
    names = " ".join(values)
    total = sum(values.values())
    largest = max(abs(v) for v in values.values())
    published = perturbed_sum(total, largest, cell(names).key)
    assert abs(published - total) <= largest / 2
    n = count(names)
    return HIDDEN if n < MIN_BASE else shown(round(published / n, digits))


async def test_a_known_history_gives_the_figures_worked_out_by_hand(pool: asyncpg.Pool) -> None:
    projector = Projector(pool, FIGURES)
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        await projector.handle(topic, envelope)

    reading = await read_figures(pool, TENANT, [KEVAT], INSTRUMENTS, RECORD_KEYS)
    # The latest kanta-hame event: S1–S3's week 2 opened on 7 Sep 2026 at 6:00 (Helsinki).
    assert reading.as_of == datetime(2026, 9, 7, 6, tzinfo=HELSINKI)
    spring = reading.groups[0].model_dump()
    assert spring["noise"] == {
        "typical_deviation": 2,
        "typical_share": 0.96,
        "max_deviation": 5,
        "variance": 1.532,
    }

    # Funnel by the furthest step: opened 16; started 15 (all but D1); reached week 5: C1–C5
    # and A1–A5 = 10; chose a direction 10; completed 5.
    everyone = f"{C} {A} {D}"
    assert spring["funnel"] == {
        "opened": counted(everyone),
        "started": counted(f"{C} {A} D2 D3 D4 D5 D6"),
        "reached_week_5": counted(f"{C} {A}"),
        "direction_chosen": counted(f"{C} {A}"),
        "completed": counted(C),
    }
    # Ended 11 = completed 5 + discontinued 6; running 5 (A1–A5).
    assert spring["status"] == {
        "active": counted(A),
        "ended": counted(f"{C} {D}"),
        "completed": counted(C),
        "discontinued": counted(D),
    }
    # Reasons: health D1, D2; own request D3–D6; the others nobody (an empty cell is 0).
    reasons = spring["discontinued"]["by_reason"]
    assert reasons["health"] == counted("D1 D2")
    assert reasons["own_request"] == counted("D3 D4 D5 D6")
    assert all(reasons[r] == shown(0) for r in reasons if r not in ("health", "own_request"))
    # Drop-off week: D1 in week 2 (the week 3 opened after its end does not count), D2–D6 in
    # week 4; every other week nobody.
    by_week = {row["week"]: row["discontinued"] for row in spring["discontinued"]["by_week"]}
    assert by_week[2] == counted("D1") and by_week[4] == counted("D2 D3 D4 D5 D6")
    assert all(by_week[w] == shown(0) for w in range(13) if w not in (2, 4))

    # Adherence (written answers; D2's "I need help" is not one), answers summed per path:
    # week 1: C/A 10 × 2 on time, D2–D6 5 × (1 on time, 1 late) → 25 on time, 5 late;
    # week 2: on time C1–C4, A1–A3 (7), late C5, A4, A5 (3); week 5: C1–C5 on time.
    def answers(per_path: dict[str, int]) -> float:
        names = " ".join(per_path)
        values = per_path.values()
        return perturbed_sum(sum(values), max(values), cell(names).key)

    def shares(
        on_time: dict[str, int], late: dict[str, int], answering: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        on, off = answers(on_time), answers(late)
        base = count(answering)
        if base < MIN_BASE:
            return HIDDEN, HIDDEN
        return shown(round(on / (on + off), 3)), shown(round(off / (on + off), 3))

    # A week's sums run over the paths that had the week open, answering or not.
    ca = f"{C} {A}".split()
    d26 = ["D2", "D3", "D4", "D5", "D6"]
    nothing_from = dict.fromkeys
    week_1 = shares(
        {**{n: 2 for n in ca}, **{n: 1 for n in d26}, "D1": 0},
        {**{n: 0 for n in ca}, **{n: 1 for n in d26}, "D1": 0},
        " ".join(ca + d26),
    )
    late_2 = {"C5", "A4", "A5"}
    week_2 = shares(
        {**{n: 0 if n in late_2 else 1 for n in ca}, **nothing_from(D.split(), 0)},
        {**{n: 1 if n in late_2 else 0 for n in ca}, **nothing_from(D.split(), 0)},
        " ".join(ca),
    )
    week_5 = shares(
        {**nothing_from(C.split(), 1), **nothing_from(A.split(), 0)},
        nothing_from(ca, 0),
        C,
    )
    overall = shares(
        {
            **{n: 2 + (0 if n in late_2 else 1) + (1 if n in C.split() else 0) for n in ca},
            **{n: 1 for n in d26},
            "D1": 0,
        },
        {**{n: 1 if n in late_2 else 0 for n in ca}, **{n: 1 for n in d26}, "D1": 0},
        " ".join(ca + d26),
    )
    adherence = spring["adherence"]
    assert adherence["overall"] == {"on_time_share": overall[0], "late_share": overall[1]}
    weeks = {row["week"]: row for row in adherence["by_week"]}
    assert weeks[1] == {"week": 1, "on_time_share": week_1[0], "late_share": week_1[1]}
    assert weeks[2] == {"week": 2, "on_time_share": week_2[0], "late_share": week_2[1]}
    assert weeks[5] == {"week": 5, "on_time_share": week_5[0], "late_share": week_5[1]}
    assert weeks[3] == {"week": 3, "on_time_share": NOTHING, "late_share": NOTHING}

    # Days from the start (5 Jan) to the first choice: C1 28, C2 29, C3 30, C4 30, C5 31,
    # A1 32, A2 33, A3 35, A4 35, A5 37 (C3's later change does not count); to completion:
    # 84, 84, 88, 91, 98. Medians need twenty paths.
    to_direction = dict(zip(ca, [28, 29, 30, 30, 31, 32, 33, 35, 35, 37], strict=True))
    to_completion = dict(zip(C.split(), [84, 84, 88, 91, 98], strict=True))
    assert spring["time"] == {
        "to_direction": {"median_days": HIDDEN, "mean_days": mean_of(to_direction, 1)},
        "to_completion": {"median_days": HIDDEN, "mean_days": mean_of(to_completion, 1)},
    }
    # Direction now: work C1, C2, C3 (changed from education), A1, A2; education C4, C5,
    # A3–A5. C3 changed once.
    assert spring["direction"] == {
        "work": counted("C1 C2 C3 A1 A2"),
        "education": counted("C4 C5 A3 A4 A5"),
        "not_recorded": shown(0),
        "clients_changed": counted("C3"),
        "changes": shown(round(perturbed_sum(1, 1, cell("C3").key))),
    }

    # Meetings requested: C1–C4, A1, A2 once, A3 twice = 8, over the 16 paths opened; held:
    # C1–C3 once; missed: none.
    def meetings(per_path: dict[str, int]) -> dict[str, Any]:
        everyone_of = {name: per_path.get(name, 0) for name in everyone.split()}
        total = round(
            perturbed_sum(sum(everyone_of.values()), max(everyone_of.values()), cell(everyone).key)
        )
        opened = count(everyone)
        return {"total": shown(total), "mean_per_client": shown(round(total / opened, 2))}

    assert spring["guidance"] == {
        "requested": meetings({"C1": 1, "C2": 1, "C3": 1, "C4": 1, "A1": 1, "A2": 1, "A3": 2}),
        "held": meetings({"C1": 1, "C2": 1, "C3": 1}),
        "missed": {"total": shown(0), "mean_per_client": shown(0.0)},
    }
    # At the end, all 11 ended paths followed up: employed C1–C3, D3, D4; studies C4, C5;
    # work trial D5; none D1, D2, D6; another service nobody. 3 months: C1–C3, D3, D4
    # employed, the other six not yet. 6 months: nobody yet.
    ended = f"{C} {D}"
    outcomes = spring["outcomes"]
    assert outcomes["end"] == {
        "followed_up": counted(ended),
        "not_followed_up": shown(0),
        "shares": {
            "employed": share_of("C1 C2 C3 D3 D4", ended),
            "work_trial": share_of("D5", ended),
            "studies": share_of("C4 C5", ended),
            "other_service": share_of("", ended),
            "none": share_of("D1 D2 D6", ended),
        },
    }
    followed_3m = "C1 C2 C3 D3 D4"
    assert outcomes["3m"] == {
        "followed_up": counted(followed_3m),
        "not_followed_up": counted("C4 C5 D1 D2 D5 D6"),
        "shares": {
            "employed": share_of(followed_3m, followed_3m),
            "work_trial": share_of("", followed_3m),
            "studies": share_of("", followed_3m),
            "other_service": share_of("", followed_3m),
            "none": share_of("", followed_3m),
        },
    }
    assert outcomes["6m"]["followed_up"] == shown(0)
    assert outcomes["6m"]["not_followed_up"] == counted(ended)
    assert all(share == NOTHING for share in outcomes["6m"]["shares"].values())

    # Self-assessment: C1–C5 answered both (A1, A2 only the baseline) → 5 clients.
    primary, group_only = spring["self_assessment"]
    assert primary["instrument_id"] == "digipolku-itsearvio" and primary["clients"] == counted(C)
    assert group_only["instrument_id"] == "ryhmaindikaattori"
    assert group_only["visibility"] == "group_only"
    areas = {area["area_id"]: area for area in primary["areas"]}
    # self_knowledge: 1→2, 1→2, 2→2, 0→2, 2→1: changes 1, 1, 0, 2, −1 (improved C1, C2, C4).
    self_knowledge = areas["self_knowledge"]
    assert self_knowledge["title"] == {"fi": "Itsetuntemus", "sv": "Självkännedom"}
    assert self_knowledge["baseline_mean"] == mean_of(
        dict(zip(C.split(), [1, 1, 2, 0, 2], strict=True)), 3
    )
    assert self_knowledge["final_mean"] == mean_of(
        dict(zip(C.split(), [2, 2, 2, 2, 1], strict=True)), 3
    )
    changes = dict(zip(C.split(), [1, 1, 0, 2, -1], strict=True))
    assert self_knowledge["mean_change"] == mean_of(changes, 3)
    assert self_knowledge["improved_share"] == share_of("C1 C2 C4", C)
    # The interval: the t interval from the published sums of the changes (0.6 × 5 = 3) and
    # of their squares (1 + 1 + 0 + 4 + 1 = 7), widened by ½ × the largest change 2 / n.
    n = count(C)
    centre = perturbed_sum(3, 2, cell(C).key) / n
    squares = perturbed_sum(7, 4, cell(C).key)
    half = t_critical(n - 1) * math.sqrt(max(0.0, (squares - n * centre**2) / (n - 1)) / n)
    half += 0.5 * 2 / n
    assert self_knowledge["ci_low"] == shown(round(centre - half, 3))
    assert self_knowledge["ci_high"] == shown(round(centre + half, 3))
    # Without noise, the interval would be (−0.815, 2.015) before widening: the published one
    # holds the true mean change 0.6.
    assert self_knowledge["ci_low"]["value"] < 0.6 < self_knowledge["ci_high"]["value"]
    # wellbeing: items 0, 1, 2 → 1, 2, 2 for everyone: 1.0 → 1.667, +0.667 for all five.
    wellbeing = areas["wellbeing"]
    assert wellbeing["baseline_mean"] == mean_of(dict.fromkeys(C.split(), 1.0), 3)
    assert wellbeing["final_mean"] == mean_of(dict.fromkeys(C.split(), 5 / 3), 3)
    assert wellbeing["improved_share"] == share_of(C, C) == shown(1.0)
    # Every other area 1 → 1: no change (a sum of zeros has no noise), nobody improved.
    assert areas["safety"]["mean_change"] == shown(0.0)
    assert areas["safety"]["improved_share"] == shown(0.0)
    # Group-only participation: 1→2 (C1–C3), 1→1 (C4, C5): changes 1, 1, 1, 0, 0.
    (participation,) = group_only["areas"]
    assert participation["mean_change"] == mean_of(
        dict(zip(C.split(), [1, 1, 1, 0, 0], strict=True)), 3
    )
    assert participation["improved_share"] == share_of("C1 C2 C3", C)


async def test_groups_compared_filters_and_tenants(pool: asyncpg.Pool) -> None:
    projector = Projector(pool, FIGURES)
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        await projector.handle(topic, envelope)

    autumn = Filters(cohort="2026-syksy")
    spring_months = Filters(opened_from=date(2026, 1, 1), opened_to=date(2026, 1, 31))
    reading = await read_figures(
        pool,
        TENANT,
        [KEVAT, autumn, spring_months, Filters(), Filters(municipality="Forssa")],
        INSTRUMENTS,
        RECORD_KEYS,
    )
    spring, autumn_figures, january, everyone, forssa = reading.groups
    # Side by side: the autumn cohort has three paths: counted with their noise, and too few
    # (as published) for a share.
    autumn_dump = autumn_figures.model_dump()
    assert autumn_dump["funnel"]["opened"] == counted(S)
    assert autumn_dump["adherence"]["overall"]["on_time_share"] == (
        HIDDEN if count(S) < MIN_BASE else autumn_dump["adherence"]["overall"]["on_time_share"]
    )
    assert autumn_dump["self_assessment"][0]["clients"] == shown(0)
    # Paths opened in January are the spring cohort (pirkanmaa's X1, opened then too, is
    # another tenant's); so are Forssa's.
    assert january == spring
    assert forssa == spring
    # The whole tenant: 16 + 3 = 19 opened; the autumn three started → started 18 of 19.
    assert everyone.funnel.opened.value == count(f"{C} {A} {D} {S}")
    assert everyone.funnel.started.value == count(f"{C} {A} D2 D3 D4 D5 D6 {S}")

    other = await read_figures(pool, "pirkanmaa", [Filters()], INSTRUMENTS, RECORD_KEYS)
    assert other.groups[0].funnel.opened.value == count("X1")
    assert other.as_of == datetime(2026, 1, 6, 10, tzinfo=HELSINKI)  # X1's answer
    nobody = await read_figures(pool, "lappi", [Filters()], INSTRUMENTS, RECORD_KEYS)
    assert nobody.as_of is None and nobody.groups[0].funnel.opened.value == 0


async def test_any_order_or_a_second_delivery_gives_the_same_rows(pool: asyncpg.Pool) -> None:
    projector = Projector(pool, FIGURES)
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        await projector.handle(topic, envelope)
    live = await snapshot(pool)
    assert all(live.values()), "every table has rows"

    # Everything again: every event is a duplicate and is dropped.
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        assert not await projector.handle(topic, envelope)
    assert await snapshot(pool) == live

    # From zero, guidance's events first and enrolment's last (a rebuild interleaves freely).
    await projector.reset()
    for topic, envelope in by_topic([GUIDANCE_EVENTS, TASKS_EVENTS, ENROLMENT_EVENTS]):
        await projector.handle(topic, envelope)
    assert await snapshot(pool) == live

    # From zero in batches, each collapsed per row (a path's answers, weeks and direction
    # changes together), and in one batch of everything, delivered twice.
    everything = list(by_topic([TASKS_EVENTS, ENROLMENT_EVENTS, GUIDANCE_EVENTS]))
    for size in (7, len(everything)):
        await projector.reset()
        for start in range(0, len(everything), size):
            await projector.handle_batch(everything[start : start + size])
        assert await snapshot(pool) == live, size
        assert await projector.handle_batch(everything) == 0
        assert await snapshot(pool) == live, size


async def test_a_groups_figures_are_kept_only_while_the_tenants_rows_stay(
    pool: asyncpg.Pool,
) -> None:
    projector = Projector(pool, FIGURES)
    everything = list(by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]))
    last = max(i for i, (_, envelope) in enumerate(everything) if envelope.tenant == TENANT)
    others = [item for item in everything if item[1].tenant != TENANT]
    ours = [item for i, item in enumerate(everything) if item[1].tenant == TENANT and i != last]
    await projector.handle_batch(ours)
    cache = FiguresCache()

    async def read(group: Filters) -> FigureSet:
        [figures] = (
            await read_figures(pool, TENANT, [group], INSTRUMENTS, RECORD_KEYS, cache)
        ).groups
        return figures

    first = await read(Filters())
    assert await read(Filters()) is first  # the same revision: not computed again
    assert await read(KEVAT) is not first  # another group is its own
    assert (cache.hits, cache.misses) == (1, 2)
    await projector.handle_batch(others)  # another tenant's rows move, not ours
    assert await read(Filters()) is first
    await projector.handle_batch([everything[last]])
    moved = await read(Filters())
    assert moved is not first and cache.misses == 3
    [uncached] = (await read_figures(pool, TENANT, [Filters()], INSTRUMENTS, RECORD_KEYS)).groups
    assert moved == uncached


async def test_each_months_statistics_are_its_figures_published_again_only_when_changed(
    pool: asyncpg.Pool,
) -> None:
    projector = Projector(pool, FIGURES)
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        await projector.handle(topic, envelope)
    outbox = Outbox(pool)
    today = date(2026, 10, 15)

    async def publish() -> int:
        return await publish_statistics_once(pool, outbox, RECORD_KEYS, today)

    # kanta-hame from January (the spring cohort) through October, empty months included;
    # pirkanmaa's X1 was opened in January too.
    assert await publish() == 10 + 10
    messages = await outbox.read_all(GlobalPosition(0, 0))
    published = {
        (s.tenant, s.month): s
        for s in (MonthlyStatistics.model_validate_json(m.message.value) for m in messages)
    }
    assert sorted(month for tenant, month in published if tenant == TENANT) == [
        f"2026-{month:02d}" for month in range(1, 11)
    ]
    for message in messages:
        statistics = MonthlyStatistics.model_validate_json(message.message.value)
        assert message.message.topic == public_topic(statistics.tenant)
        assert message.message.key == f"{statistics.tenant}:{statistics.month}".encode()
    january, august = published[(TENANT, "2026-01")], published[(TENANT, "2026-08")]
    assert january.steps.opened.value == count(f"{C} {A} {D}")
    assert august.steps.opened.value == count(S)
    assert published[(TENANT, "2026-05")].steps.opened.value == 0
    # The dashboard's own figures of the month, the outcome shares included.
    month = Filters(opened_from=date(2026, 1, 1), opened_to=date(2026, 1, 31))
    [figures] = (await read_figures(pool, TENANT, [month], INSTRUMENTS, RECORD_KEYS)).groups
    dashboard = figures.model_dump()
    assert january.outcomes["end"].model_dump() == {
        key: dashboard["outcomes"]["end"][key]
        for key in ("followed_up", "not_followed_up", "shares")
    }
    assert january.directions.work.model_dump() == dashboard["direction"]["work"]
    assert (
        january.status.model_dump()["discontinued_by_reason"]
        == (dashboard["discontinued"]["by_reason"])
    )
    assert {s.revision for s in published.values()} == {1}

    # Nothing changed: nothing published. One more path opened in August: August alone,
    # as its second revision.
    assert await publish() == 0
    late = History("L1", start=AUTUMN, cohort="2026-syksy")
    for topic, envelopes in late.topics().items():
        for envelope in envelopes:
            await projector.handle(topic, envelope)
    assert await publish() == 1
    last = (await outbox.read_all(GlobalPosition(0, 0)))[-1]
    again = MonthlyStatistics.model_validate_json(last.message.value)
    assert (again.month, again.revision) == ("2026-08", 2)
    autumn = [*(BY_NAME[name] for name in S.split()), late]
    keys = (record_key(RECORD_KEYS.secret, h.tenant, h.pathway_id) for h in autumn)
    assert again.steps.opened.value == Cell(4, cell_key(keys)).published
