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

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import asyncpg
import pytest

from chassis.clock import HELSINKI
from chassis.event_store import create_pool
from chassis.migrate import upgrade_async
from chassis.projector import Projector
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
from contracts.registry import make_envelope
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.adapters.figures_projection import FIGURES, TABLES
from services.reporting.adapters.figures_query import Filters, read_figures
from services.reporting.adapters.instrument_files import load_instruments
from services.reporting.app import HERE as REPORTING
from services.reporting.settings import DEFAULT_INSTRUMENTS_DIR

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
                    unit="Kuntouttava työtoiminta",
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
    dsn = await infrastructure.create_database("reporting")
    await upgrade_async(dsn, REPORTING / "migrations")
    pool = await create_pool(dsn, max_size=4)
    yield pool
    await pool.close()


async def snapshot(pool: asyncpg.Pool) -> dict[str, list[str]]:
    return {
        table: sorted(r["row"] for r in await pool.fetch(f"SELECT t::text AS row FROM {table} t"))
        for table in TABLES
    }


def shown(value: Any) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


HIDDEN = {"value": None, "suppressed": True}
NOTHING = {"value": None, "suppressed": False}
KEVAT = Filters(cohort="2026-kevat")


async def test_a_known_history_gives_the_figures_worked_out_by_hand(pool: asyncpg.Pool) -> None:
    projector = Projector(pool, FIGURES)
    for topic, envelope in by_topic([ENROLMENT_EVENTS, TASKS_EVENTS, GUIDANCE_EVENTS]):
        await projector.handle(topic, envelope)

    reading = await read_figures(pool, TENANT, [KEVAT], INSTRUMENTS)
    # The latest kanta-hame event: S1–S3's week 2 opened on 7 Sep 2026 at 6:00 (Helsinki).
    assert reading.as_of == datetime(2026, 9, 7, 6, tzinfo=HELSINKI)
    spring = reading.groups[0].model_dump()

    # Funnel by the furthest step: opened 16; started 15 (all but D1); reached week 5: C1–C5
    # and A1–A5 = 10; chose a direction 10; completed 5. 16 → 15 drops one person, so
    # "started" is hidden; 16 → 10 drops six, 10 → 10 none, 10 → 5 five: shown.
    assert spring["funnel"] == {
        "opened": shown(16),
        "started": HIDDEN,
        "reached_week_5": shown(10),
        "direction_chosen": shown(10),
        "completed": shown(5),
    }
    # Ended 11 = completed 5 + discontinued 6; running 5 (A1–A5).
    assert spring["status"] == {
        "active": shown(5),
        "ended": shown(11),
        "completed": shown(5),
        "discontinued": shown(6),
    }
    # Reasons: health 2 (D1, D2) and own request 4 (D3–D6) are both small, but hidden together
    # they hold six people, so they cover each other; the zeros are shown.
    reasons = spring["discontinued"]["by_reason"]
    assert reasons["health"] == HIDDEN and reasons["own_request"] == HIDDEN
    assert all(reasons[r] == shown(0) for r in reasons if r not in ("health", "own_request"))
    # Drop-off week: D1 in week 2 (the week 3 opened after its end does not count), D2–D6 in
    # week 4. Week 2 holds one person; 6 − 0 would give week 4's five back, so week 4 is
    # hidden too (secondary suppression); every other week is 0.
    by_week = {row["week"]: row["discontinued"] for row in spring["discontinued"]["by_week"]}
    assert by_week[2] == HIDDEN and by_week[4] == HIDDEN
    assert all(by_week[w] == shown(0) for w in range(13) if w not in (2, 4))

    # Adherence (written answers; D2's "I need help" is not one):
    # week 1: C/A 10 × 2 on time, D2–D6 5 × (1 on time, 1 late) → 25 on time of 30:
    #   0.833 / 0.167 (15 answering, 15 with one on time, 5 with one late);
    # week 2: 7 on time (C1–C4, A1–A3), 3 late (C5, A4, A5): three late clients → hidden;
    # week 5: C1–C5 on time → 1.0 / 0.0;
    # overall: on time 25 + 7 + 5 = 37, late 5 + 3 = 8, of 45 → 0.822 / 0.178 (8 late clients).
    adherence = spring["adherence"]
    assert adherence["overall"] == {"on_time_share": shown(0.822), "late_share": shown(0.178)}
    weeks = {row["week"]: row for row in adherence["by_week"]}
    assert weeks[1] == {"week": 1, "on_time_share": shown(0.833), "late_share": shown(0.167)}
    assert weeks[2] == {"week": 2, "on_time_share": HIDDEN, "late_share": HIDDEN}
    assert weeks[5] == {"week": 5, "on_time_share": shown(1.0), "late_share": shown(0.0)}
    assert weeks[3] == {"week": 3, "on_time_share": NOTHING, "late_share": NOTHING}

    # Days from the start (5 Jan) to the first choice: 28, 29, 30, 30, 31, 32, 33, 35, 35, 37
    # → median (31 + 32) / 2 = 31.5, mean 320 / 10 = 32.0 (C3's later change does not count).
    # To completion: 84, 84, 88, 91, 98 → median 88, mean 445 / 5 = 89.0.
    assert spring["time"] == {
        "to_direction": {"median_days": shown(31.5), "mean_days": shown(32.0)},
        "to_completion": {"median_days": shown(88.0), "mean_days": shown(89.0)},
    }
    # Direction now: work C1, C2, C3 (changed from education), A1, A2 = 5; education C4, C5,
    # A3, A4, A5 = 5. One path changed: it hides behind the nine that did not (never published,
    # but 10 − 1 would give them), and the number of changes rests on that one path.
    assert spring["direction"] == {
        "work": shown(5),
        "education": shown(5),
        "not_recorded": shown(0),
        "clients_changed": HIDDEN,
        "changes": HIDDEN,
    }
    # Meetings requested: C1–C4, A1, A2 once, A3 twice = 8 from 7 paths, 8 / 16 = 0.5 per
    # path; held: C1–C3 = 3 paths → hidden; missed: none.
    assert spring["guidance"] == {
        "requested": {"total": shown(8), "mean_per_client": shown(0.5)},
        "held": {"total": HIDDEN, "mean_per_client": HIDDEN},
        "missed": {"total": shown(0), "mean_per_client": shown(0.0)},
    }
    # At the end, all 11 ended paths followed up: employed C1–C3, D3, D4 = 5 (5 / 11 = 0.455),
    # studies 2, work trial 1, none 3 (small, together 6: hidden), another service 0.
    # 3 months: C1–C3, D3, D4 employed, 6 not yet. 6 months: nobody yet.
    outcomes = spring["outcomes"]
    assert outcomes["end"] == {
        "followed_up": shown(11),
        "not_followed_up": shown(0),
        "shares": {
            "employed": shown(0.455),
            "work_trial": HIDDEN,
            "studies": HIDDEN,
            "other_service": shown(0.0),
            "none": HIDDEN,
        },
    }
    assert outcomes["3m"] == {
        "followed_up": shown(5),
        "not_followed_up": shown(6),
        "shares": {
            "employed": shown(1.0),
            "work_trial": shown(0.0),
            "studies": shown(0.0),
            "other_service": shown(0.0),
            "none": shown(0.0),
        },
    }
    assert outcomes["6m"]["followed_up"] == shown(0)
    assert outcomes["6m"]["not_followed_up"] == shown(11)
    assert all(share == NOTHING for share in outcomes["6m"]["shares"].values())

    # Self-assessment: C1–C5 answered both (A1, A2 only the baseline) → 5 clients.
    primary, group_only = spring["self_assessment"]
    assert primary["instrument_id"] == "digipolku-itsearvio" and primary["clients"] == shown(5)
    assert group_only["instrument_id"] == "ryhmaindikaattori"
    assert group_only["visibility"] == "group_only"
    areas = {area["area_id"]: area for area in primary["areas"]}
    # self_knowledge: 1→2, 1→2, 2→2, 0→2, 2→1: changes 1, 1, 0, 2, −1; mean 0.6;
    # deviations .4, .4, −.6, 1.4, −1.6 → squares 5.2, s² = 1.3, s = 1.14018, s/√5 = 0.50990,
    # t(4) = 2.776 → ± 1.41549 → (−0.815, 2.015). Improved 3, not 2 → the share is hidden.
    assert areas["self_knowledge"] == {
        "area_id": "self_knowledge",
        "title": {"fi": "Itsetuntemus", "sv": "Självkännedom"},
        "baseline_mean": shown(1.2),
        "final_mean": shown(1.8),
        "mean_change": shown(0.6),
        "ci_low": shown(-0.815),
        "ci_high": shown(2.015),
        "improved_share": HIDDEN,
    }
    # wellbeing: items 0, 1, 2 → 1, 2, 2 for everyone: 1.0 → 1.667, +0.667 with no spread.
    wellbeing = areas["wellbeing"]
    assert (wellbeing["baseline_mean"], wellbeing["final_mean"]) == (shown(1.0), shown(1.667))
    assert wellbeing["mean_change"] == wellbeing["ci_low"] == wellbeing["ci_high"] == shown(0.667)
    assert wellbeing["improved_share"] == shown(1.0)
    # Every other area 1 → 1: no change, nobody improved (0 of 5 is shown).
    assert areas["safety"]["mean_change"] == shown(0.0)
    assert areas["safety"]["improved_share"] == shown(0.0)
    # Group-only participation: 1→2 (C1–C3), 1→1 (C4, C5): changes 1, 1, 1, 0, 0, mean 0.6;
    # s² = (3 × .16 + 2 × .36) / 4 = 0.3, s/√5 = 0.24495, × 2.776 = 0.67998 → (−0.080, 1.280).
    (participation,) = group_only["areas"]
    assert participation["mean_change"] == shown(0.6)
    assert (participation["ci_low"], participation["ci_high"]) == (shown(-0.08), shown(1.28))
    assert participation["improved_share"] == HIDDEN


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
    )
    spring, autumn_figures, january, everyone, forssa = reading.groups
    # Side by side: the autumn cohort has three paths, so every one of its figures is hidden.
    autumn_dump = autumn_figures.model_dump()
    assert autumn_dump["funnel"]["opened"] == HIDDEN
    assert autumn_dump["adherence"]["overall"]["on_time_share"] == HIDDEN
    assert autumn_dump["self_assessment"][0]["clients"] == HIDDEN
    # Paths opened in January are the spring cohort (pirkanmaa's X1, opened then too, is
    # another tenant's); so are Forssa's.
    assert january == spring
    assert forssa == spring
    # The whole tenant: 16 + 3 = 19 opened; the autumn three started → started 18 of 19.
    assert everyone.funnel.opened.value == 19
    assert everyone.funnel.started.suppressed  # 19 → 18 drops one person

    other = await read_figures(pool, "pirkanmaa", [Filters()], INSTRUMENTS)
    assert other.groups[0].funnel.opened.suppressed  # one path
    assert other.as_of == datetime(2026, 1, 6, 10, tzinfo=HELSINKI)  # X1's answer
    nobody = await read_figures(pool, "lappi", [Filters()], INSTRUMENTS)
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
