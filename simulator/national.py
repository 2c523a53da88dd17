"""A national simulated year, decided by the services' own domain code (issue 15).

Every wellbeing area and the City of Helsinki (the register in `contracts.reference`) opens
paths in its own municipalities, cohort by cohort over a year; each client lives through the
same drawn course as in the cohort simulator (`population`, `timeline`). Instead of HTTP, each
step is decided here by the aggregate functions the command handlers call (enrolment's
`open_pathway` and `decide`, tasks' plan and self-assessment rules, guidance's meeting and
outcome rules), on aggregates kept in memory, and becomes one append per command: the
events, their stream versions and their envelopes are those the services would store.

What the handlers do besides deciding is left out on purpose: no client vault, answer texts or
calendar tables are written, no idempotency keys are kept (each command runs once), and no
inline read model is filled; the read models are built from the topics (bench.national_replay).
The reactions tasks has to other services' events (starting the plan when a path opens,
opening the weeks on the calendar's days, completing the tasks a held meeting covered) are
decided at the moment they would happen, in the same order as in a running system.

Pure and seeded: the same spec gives the same appends, ids included (`Ids`).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from typing import cast

from chassis.clock import HELSINKI
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import DiscontinuationReason
from contracts.reference.municipalities import register
from contracts.registry import make_envelope
from services.enrolment.domain.commands import Complete as CompletePath
from services.enrolment.domain.commands import Discontinue as DiscontinuePath
from services.enrolment.domain.commands import decide
from services.enrolment.domain.pathway import OpenPathway, Pathway, open_pathway
from services.guidance.domain.guidance_record import (
    GuidanceRecord,
    MeetingMode,
    hold_meeting,
    mark_missed,
    request_meeting,
    schedule_meeting,
)
from services.guidance.domain.outcomes import OutcomeKind, PathSpan, record_outcome
from services.tasks.adapters.curriculum_files import CURRENT_VERSION, load_curriculum
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.domain.curriculum import WEEKS, Curriculum, Direction
from services.tasks.domain.plan import (
    Plan,
    answer_task,
    change_direction,
    choose_direction,
    complete_after_meeting,
    open_due_weeks,
    start_plan,
)
from services.tasks.domain.self_assessment import Phase, submit_self_assessment
from simulator.population import ClientProfile, Cohort, client_profile
from simulator.run import CourseShape
from simulator.timeline import (
    ChangeDirection,
    ChooseDirection,
    Complete,
    Discontinue,
    HoldMeeting,
    OpenPath,
    RecordOutcome,
    RequestMeeting,
    SelfAssess,
    Step,
    Work,
    steps_of,
    week_opens,
)

STORES = ("enrolment", "tasks", "guidance")
UNIT = "kuntouttava-tyotoiminta"
STEP_TIME = time_of_day(12, 0)
MEETING_TIME = time_of_day(10, 0)
PATHS_PER_COUNSELOR = 40
SUITABLE = {
    "life_management": True,
    "digital_skills": True,
    "self_assessment_ability": True,
    "strong_identification": True,
}
SCHEDULER = Actor(role="system", id="tasks-calendar")
TASKS_POLICY = Actor(role="system", id="tasks")
ANSWER_LENGTHS = (40, 120, 260, 480)
# Residents of each organiser in thousands (rounded, 2024): how the paths are shared out.
RESIDENTS = {
    "helsinki": 675,
    "vantaa-kerava": 285,
    "lansi-uusimaa": 485,
    "keski-uusimaa": 205,
    "ita-uusimaa": 100,
    "varsinais-suomi": 485,
    "satakunta": 213,
    "kanta-hame": 170,
    "pirkanmaa": 530,
    "paijat-hame": 205,
    "kymenlaakso": 160,
    "etela-karjala": 125,
    "etela-savo": 130,
    "pohjois-savo": 250,
    "pohjois-karjala": 163,
    "keski-suomi": 275,
    "etela-pohjanmaa": 190,
    "pohjanmaa": 176,
    "keski-pohjanmaa": 68,
    "pohjois-pohjanmaa": 415,
    "kainuu": 70,
    "lappi": 176,
}


@dataclass(frozen=True)
class NationalSpec:
    """How many paths, which organisers (None: all 22), and the year's last day."""

    paths: int
    end: date
    seed: int = 2026
    tenants: tuple[str, ...] | None = None
    # Cohorts start every four weeks over the year; the last ones are under way at `end`.
    cohort_weeks_before_end: tuple[int, ...] = tuple(range(52, 0, -4))

    def organisers(self) -> list[str]:
        known = register().tenants()
        if self.tenants is None:
            return known
        unknown = set(self.tenants) - set(known)
        if unknown:
            raise ValueError(f"no such wellbeing area: {', '.join(sorted(unknown))}")
        return [tenant for tenant in known if tenant in self.tenants]

    def cohorts(self) -> list[Cohort]:
        last_monday = self.end - timedelta(days=self.end.weekday())
        starts = sorted(last_monday - timedelta(weeks=w) for w in self.cohort_weeks_before_end)
        return [Cohort(f"{s.year}-{s.month:02d}-{s.day:02d}", s) for s in starts]


@dataclass(frozen=True)
class NationalClient:
    tenant: str
    profile: ClientProfile


def shares(spec: NationalSpec) -> dict[str, int]:
    """Paths per organiser, in proportion to residents; each gets at least one."""
    tenants = spec.organisers()
    weight = sum(RESIDENTS[t] for t in tenants)
    counts = {t: max(1, spec.paths * RESIDENTS[t] // weight) for t in tenants}
    biggest = max(tenants, key=lambda t: RESIDENTS[t])
    counts[biggest] += spec.paths - sum(counts.values())
    if counts[biggest] < 1:
        raise ValueError(f"{spec.paths} paths are fewer than the {len(tenants)} organisers")
    return counts


def national_clients(spec: NationalSpec, shape: CourseShape) -> Iterator[NationalClient]:
    """The year's clients, organiser by organiser: municipalities in turn (so that every one
    has paths), cohorts in turn. Drawn as the cohort simulator draws its clients."""
    rng = random.Random(spec.seed)
    cohorts = spec.cohorts()
    number = 0
    for tenant, count in shares(spec).items():
        municipalities = register().of_tenant(tenant)
        counselors = max(1, count // PATHS_PER_COUNSELOR)
        for n in range(count):
            yield NationalClient(
                tenant,
                client_profile(
                    rng,
                    number,
                    cohorts[n % len(cohorts)],
                    municipalities[n % len(municipalities)].code,
                    f"ohjaaja-{tenant}-{n % counselors + 1}",
                    UNIT,
                    ("", ""),
                    "",
                    shape.instrument_items,
                    shape.tasks_per_week,
                    shape.meeting_weeks,
                ),
            )
            number += 1


@dataclass(frozen=True)
class Append:
    """One command's decision in one service's store: the envelopes of one stream, decided
    on `expected_version`."""

    store: str
    expected_version: int
    envelopes: list[EventEnvelope]


class Ids:
    """Seeded ids: the same seed and client give the same UUIDs; event ids are UUIDv7 of the
    simulated moment, so they are time-ordered as the contract says."""

    def __init__(self, seed: int, number: int) -> None:
        self._rng = random.Random(f"{seed}:{number}")

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)

    def uuid7(self, at: datetime) -> uuid.UUID:
        millis = int(at.timestamp() * 1000)
        value = (millis << 80) | (0x7 << 76) | (self._rng.getrandbits(12) << 64)
        value |= (0b10 << 62) | self._rng.getrandbits(62)
        return uuid.UUID(int=value)


def client_ref_of(seed: int, number: int) -> str:
    return "c-" + hashlib.sha256(f"national:{seed}:{number}".encode()).hexdigest()[:32]


@dataclass
class _Path:
    """One client's three aggregates as the services hold them, and what they were told."""

    client: NationalClient
    pathway_id: uuid.UUID
    client_ref: str
    ids: Ids
    curriculum: Curriculum
    pathway: Pathway
    plan: Plan
    record: GuidanceRecord
    meetings: dict[int, tuple[uuid.UUID, str | None]] = field(default_factory=dict)
    held_tasks: set[str] = field(default_factory=set)
    appends: list[Append] = field(default_factory=list)

    def add(
        self, store: str, version: int, events: Sequence[EventModel], actor: Actor, at: datetime
    ) -> None:
        if not events:
            return
        correlation = self.ids.uuid4()
        envelopes = [
            make_envelope(
                event,
                stream_id=str(self.pathway_id),
                stream_version=version + offset + 1,
                tenant=self.client.tenant,
                correlation_id=correlation,
                causation_id=None,
                actor=actor,
                occurred_at=at,
            ).model_copy(update={"event_id": self.ids.uuid7(at)})
            for offset, event in enumerate(events)
        ]
        self.appends.append(Append(store, version, envelopes))


class Decider:
    """Turns a client's steps into the appends the services would make."""

    def __init__(self, seed: int, end: date) -> None:
        self._seed = seed
        self._end = end
        self._curriculum = load_curriculum()
        self._instruments = load_instruments()

    def appends(self, client: NationalClient) -> list[Append]:
        profile = client.profile
        drawn = random.Random(f"path:{self._seed}:{profile.number}").getrandbits(128)
        pathway_id = uuid.UUID(int=drawn, version=4)
        path = _Path(
            client,
            pathway_id,
            client_ref_of(self._seed, profile.number),
            Ids(self._seed, profile.number),
            self._curriculum,
            Pathway(pathway_id, tenant=client.tenant),
            Plan(pathway_id),
            GuidanceRecord(pathway_id),
        )
        steps = sorted(
            (step for step in steps_of(profile) if step.day <= self._end),
            key=lambda step: step.order,
        )
        for step in steps:
            self._open_weeks(path, step.day)
            self._step(path, step)
        self._open_weeks(path, self._end)
        return path.appends

    def _open_weeks(self, path: _Path, day: date) -> None:
        """The calendar's run on each day a week opens, up to `day`."""
        plan = path.plan
        if not plan.started or plan.ended or plan.start_date is None:
            return
        while plan.opened_week < WEEKS:
            opens = week_opens(plan.start_date, plan.opened_week + 1)
            if opens > day:
                return
            events = open_due_weeks(plan, opens)
            if not events:
                return
            self._tasks(path, events, SCHEDULER, _at(opens, time_of_day(0, 5)))

    def _step(self, path: _Path, step: Step) -> None:
        profile = path.client.profile
        counselor = Actor(role="counselor", id=profile.counselor)
        client = Actor(role="client", id=path.client_ref)
        now = _at(step.day, STEP_TIME)
        today = step.day
        action = step.action
        match action:
            case OpenPath():
                self._open(path, step.day, counselor, now)
            case SelfAssess(phase=phase):
                assert profile.assessment is not None
                scores = profile.assessment.by_instrument(phase)
                events = [
                    event
                    for instrument_id, instrument in self._instruments.items()
                    for event in submit_self_assessment(
                        path.plan,
                        instrument,
                        cast(Phase, phase),
                        scores.get(instrument_id, {}),
                        now,
                        today,
                    )
                ]
                self._tasks(path, events, client, now)
            case Work():
                self._work(path, action, client, now)
            case ChooseDirection(direction=direction):
                events = choose_direction(path.plan, cast(Direction, direction), now, today)
                self._tasks(path, events, client, now)
            case ChangeDirection(direction=direction):
                events = change_direction(
                    path.plan, cast(Direction, direction), profile.counselor, now
                )
                self._tasks(path, events, counselor, now)
            case RequestMeeting(week=week):
                task = self._meeting_task(path, week)
                meeting_id, events = request_meeting(
                    path.record, path.ids.uuid4(), "client", task, now
                )
                self._guidance(path, events, client, now)
                path.meetings[week] = (meeting_id, task)
            case HoldMeeting(week=week, held=held):
                self._hold(path, week, held, counselor, step.day)
            case Complete():
                self._end_path(path, CompletePath(step.day), counselor, now)
            case Discontinue(reason=reason):
                command = DiscontinuePath(cast(DiscontinuationReason, reason), step.day)
                self._end_path(path, command, counselor, now)
            case RecordOutcome(follow_up=follow_up, outcome=outcome, outcome_date=began):
                span = PathSpan(path.client_ref, path.pathway.start_date, path.plan.ended_on)
                events = record_outcome(
                    path.record,
                    span,
                    follow_up,
                    cast(OutcomeKind, outcome),
                    began,
                    today,
                    now,
                )
                self._guidance(path, events, counselor, now)

    def _open(self, path: _Path, day: date, counselor: Actor, now: datetime) -> None:
        profile = path.client.profile
        command = OpenPathway(
            pathway_id=path.pathway_id,
            client_ref=path.client_ref,
            municipality=profile.municipality,
            unit=profile.unit,
            cohort=profile.cohort.label,
            start_date=day,
            counselor_ids=[profile.counselor],
            suitability=SUITABLE,
        )
        self._enrolment(path, open_pathway(command, day), counselor, now)
        # Tasks' policy on PathwayOpened: the plan, with the weeks already due.
        plan = path.plan
        events = start_plan(plan, path.client_ref, CURRENT_VERSION, day)
        started = Plan.from_history(plan.pathway_id, plan.version, events)
        events += open_due_weeks(started, day)
        self._tasks(path, events, TASKS_POLICY, now + timedelta(seconds=1))

    def _work(self, path: _Path, work: Work, client: Actor, now: datetime) -> None:
        tasks = path.curriculum.tasks_of_week(work.week, path.plan.direction)
        number = path.client.profile.number
        for position in sorted(work.positions):
            if position >= len(tasks):
                continue  # a week with fewer tasks in the chosen direction
            task = tasks[position]
            kind = "needs_help" if position in work.needs_help else "answer"
            length = ANSWER_LENGTHS[(number + work.week + position) % len(ANSWER_LENGTHS)]
            events = answer_task(
                path.plan,
                path.curriculum,
                task.task_id,
                path.ids.uuid4(),
                "x" * length,
                kind,
                now,
                now.date(),
                task.task_id in path.held_tasks,
            )
            self._tasks(path, events, client, now)

    def _meeting_task(self, path: _Path, week: int) -> str | None:
        if week == 0:
            return None
        for task in path.curriculum.tasks_of_week(week, path.plan.direction):
            if task.requires_meeting:
                return task.task_id
        return None

    def _hold(self, path: _Path, week: int, held: bool, counselor: Actor, day: date) -> None:
        """As the cohort simulator's counselor does it: at noon, arranges the meeting for 10
        that morning and marks it held or missed at once (guidance takes "now" for both)."""
        meeting_id, task = path.meetings[week]
        now = _at(day, STEP_TIME)
        modes: tuple[MeetingMode, ...] = ("in_person", "phone", "video")
        mode = modes[path.client.profile.number % 3]
        task_ids = [task] if task else []
        starts_at = _at(day, MEETING_TIME)
        scheduled = schedule_meeting(path.record, meeting_id, starts_at, mode, task_ids)
        self._guidance(path, scheduled, counselor, now)
        decided = hold_meeting if held else mark_missed
        self._guidance(path, decided(path.record, meeting_id, now), counselor, now)
        if held:
            # Tasks' policy on GuidanceMeetingHeld.
            path.held_tasks.update(task_ids)
            events = complete_after_meeting(path.plan, path.curriculum, task_ids)
            self._tasks(path, events, TASKS_POLICY, now + timedelta(seconds=1))

    def _end_path(
        self,
        path: _Path,
        command: CompletePath | DiscontinuePath,
        counselor: Actor,
        now: datetime,
    ) -> None:
        self._enrolment(path, decide(path.pathway, command, now.date()), counselor, now)
        # Tasks' and guidance's projections of the ending (the plan's calendar, the span).
        path.plan.ended_on = now.date()

    def _enrolment(self, path: _Path, events: list[EventModel], actor: Actor, at: datetime) -> None:
        path.add("enrolment", path.pathway.version, events, actor, at)
        for event in events:
            path.pathway.apply(event)

    def _tasks(self, path: _Path, events: list[EventModel], actor: Actor, at: datetime) -> None:
        path.add("tasks", path.plan.version, events, actor, at)
        for event in events:
            path.plan.apply(event)

    def _guidance(self, path: _Path, events: list[EventModel], actor: Actor, at: datetime) -> None:
        path.add("guidance", path.record.version, events, actor, at)
        for event in events:
            path.record.apply(event)


def _at(day: date, at: time_of_day) -> datetime:
    return datetime.combine(day, at, HELSINKI)
