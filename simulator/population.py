"""Who the simulated clients are and how each of them will go through the path.

Pure and seeded: the same spec gives the same people, with the same drop-offs, choices,
late answers, meetings, self-assessments and outcomes, whatever machine runs it. What
happens to them is drawn once, here; `timeline` turns it into dated steps and `driver` sends
those to the services.

The rates are plausible for rehabilitative work activity (roughly a third end early, more
choose work than education, outcomes improve between the end and six months), not measured
ones: the simulator is for demos, tests and benchmarks, never for reports.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from deploy.identity_codes import identity_code
from services.guidance.domain.outcomes import FollowUp
from services.tasks.domain.curriculum import WEEKS

DISCONTINUATION_REASONS = {
    "no_contact": 30,
    "health": 20,
    "employed": 14,
    "studies": 8,
    "own_request": 10,
    "other_service": 10,
    "moved": 4,
    "other": 4,
}
# What the counselor records at each follow-up, by the chosen direction (None: no choice).
OUTCOMES: dict[str, dict[str | None, dict[str, int]]] = {
    "end": {
        "work": {"employed": 10, "work_trial": 25, "studies": 5, "other_service": 30, "none": 30},
        "education": {
            "employed": 5,
            "work_trial": 10,
            "studies": 30,
            "other_service": 25,
            "none": 30,
        },
        None: {"employed": 5, "work_trial": 5, "studies": 5, "other_service": 35, "none": 50},
    },
    "3m": {
        "work": {"employed": 20, "work_trial": 25, "studies": 8, "other_service": 22, "none": 25},
        "education": {
            "employed": 8,
            "work_trial": 10,
            "studies": 42,
            "other_service": 15,
            "none": 25,
        },
        None: {"employed": 8, "work_trial": 8, "studies": 8, "other_service": 36, "none": 40},
    },
    "6m": {
        "work": {"employed": 28, "work_trial": 20, "studies": 10, "other_service": 20, "none": 22},
        "education": {
            "employed": 10,
            "work_trial": 8,
            "studies": 50,
            "other_service": 12,
            "none": 20,
        },
        None: {"employed": 10, "work_trial": 8, "studies": 10, "other_service": 34, "none": 38},
    },
}


@dataclass(frozen=True)
class Cohort:
    label: str
    start_date: date  # a Monday


@dataclass(frozen=True)
class PopulationSpec:
    """How many clients, where, and when their cohorts start; `end` is the last day lived."""

    end: date
    seed: int = 2026
    # Municipalities by their Statistics Finland codes (contracts/reference): Forssa,
    # Hämeenlinna and Riihimäki, with the counselor who opens their paths.
    municipalities: tuple[tuple[str, str], ...] = (
        ("061", "ohjaaja-demo"),
        ("109", "ohjaaja-demo"),
        ("694", "ohjaaja-2"),
    )
    unit: str = "kuntouttava-tyotoiminta"  # the unit's code in the tenant's registry
    unit_name: str = "Kuntouttava työtoiminta"
    # Weeks before `end` at which each cohort starts: the earliest have reached their
    # 6-month follow-up, the latest are under way.
    cohort_weeks_before_end: tuple[int, ...] = (42, 30, 18, 6)
    clients_per_group: int = 8  # per municipality and cohort

    def cohorts(self) -> list[Cohort]:
        last_monday = self.end - timedelta(days=self.end.weekday())
        starts = [last_monday - timedelta(weeks=w) for w in self.cohort_weeks_before_end]
        return [Cohort(f"{start.year}-{start.month:02d}", start) for start in sorted(starts)]


@dataclass(frozen=True)
class SelfAssessment:
    """Item scores 0–3 per instrument item, at the start and (if given) at the end."""

    baseline: dict[str, int]
    final: dict[str, int] | None

    def by_instrument(self, phase: str) -> dict[str, dict[str, int]]:
        """The phase's scores as the tasks service takes them: instrument → item → score."""
        scores = self.baseline if phase == "baseline" else self.final
        assert scores is not None, f"no {phase} self-assessment"
        grouped: dict[str, dict[str, int]] = {}
        for item, score in scores.items():
            instrument, _, item_id = item.partition(":")
            grouped.setdefault(instrument, {})[item_id] = score
        return grouped


@dataclass(frozen=True)
class Meeting:
    week: int
    held_first_time: bool  # a missed meeting is asked for again and held a week later


@dataclass(frozen=True)
class ClientProfile:
    number: int
    municipality: str
    unit: str
    cohort: Cohort
    counselor: str
    first_name: str
    last_name: str
    identity_code: str
    # The last week the client works in; 0: never answers. None: goes through all 12.
    last_active_week: int | None
    discontinuation: tuple[str, int] | None  # reason, week in which the path is ended
    direction: str | None  # chosen in week 5
    direction_change_week: int | None
    # Per week: which task positions are answered on time, which late (the week after).
    answered: dict[int, tuple[frozenset[int], frozenset[int]]]
    needs_help: frozenset[tuple[int, int]]  # (week, position) answered "I need help"
    meetings: tuple[Meeting, ...]
    extra_meeting_week: int | None  # a meeting asked for without a task
    assessment: SelfAssessment | None
    outcomes: dict[FollowUp, str]  # follow-up → outcome, those that will be recorded

    @property
    def completes(self) -> bool:
        return self.discontinuation is None

    @property
    def start_date(self) -> date:
        return self.cohort.start_date


# Individual numbers 500–899: make run's demo paths beside the simulated ones use 200–205,
# and 900–999 are temporary codes that enrolment refuses.
MAX_CLIENTS = 400


def simulated_identity_code(number: int, rng: random.Random) -> str:
    """A valid, unique identity code (born 1962–1999; individual number 500+n)."""
    born = date(1962, 1, 1) + timedelta(days=rng.randrange(38 * 365))
    return identity_code(born.day, born.month, born.year, 500 + number)


def generate(
    spec: PopulationSpec,
    first_names: list[str],
    last_names: list[str],
    instrument_items: dict[str, list[str]],
    tasks_per_week: dict[int, int],
    meeting_weeks: tuple[int, ...],
) -> list[ClientProfile]:
    """Every client of the spec; `tasks_per_week`: how many tasks each week has;
    `meeting_weeks`: the weeks with a task that needs a guidance meeting."""
    rng = random.Random(spec.seed)
    people: list[ClientProfile] = []
    for cohort in spec.cohorts():
        for municipality, counselor in spec.municipalities:
            for _ in range(spec.clients_per_group):
                number = len(people)
                if number >= MAX_CLIENTS:
                    raise ValueError(f"at most {MAX_CLIENTS} simulated clients (identity codes)")
                name = (rng.choice(first_names), rng.choice(last_names))
                people.append(
                    client_profile(
                        rng,
                        number,
                        cohort,
                        municipality,
                        counselor,
                        spec.unit,
                        name,
                        simulated_identity_code(number, rng),
                        instrument_items,
                        tasks_per_week,
                        meeting_weeks,
                    )
                )
    return people


def client_profile(
    rng: random.Random,
    number: int,
    cohort: Cohort,
    municipality: str,
    counselor: str,
    unit: str,
    name: tuple[str, str],
    code: str,
    instrument_items: dict[str, list[str]],
    tasks_per_week: dict[int, int],
    meeting_weeks: tuple[int, ...],
) -> ClientProfile:
    """One client's drawn course; `code` is their identity code (drawn before, from `rng`)."""
    last_active = _last_active_week(rng)
    discontinuation = None
    if last_active is not None:
        reason = pick(rng, DISCONTINUATION_REASONS)
        # Someone who found work or a study place says so at once; silence takes a while.
        delay = 0 if reason in ("employed", "studies", "moved") else rng.choice((1, 2))
        discontinuation = (reason, min(WEEKS, max(1, last_active + delay)))
    works_until = WEEKS if last_active is None else last_active
    direction = rng.choice(("work",) * 3 + ("education",) * 2) if works_until >= 5 else None
    change_week = (
        rng.choice((7, 8, 9)) if direction and works_until >= 9 and rng.random() < 0.1 else None
    )
    diligence = rng.uniform(0.7, 1.0)
    lateness = rng.uniform(0.0, 0.35)
    answered = {}
    help_needed: set[tuple[int, int]] = set()
    for week in range(1, works_until + 1):
        on_time, late = set(), set()
        for position in range(tasks_per_week[week]):
            if rng.random() > diligence:
                continue
            # A week's late answers are written the week after, which a leaver never sees.
            if rng.random() < lateness and week < works_until and week < WEEKS:
                late.add(position)
            else:
                on_time.add(position)
            if rng.random() < 0.05:
                help_needed.add((week, position))
        answered[week] = (frozenset(on_time), frozenset(late))
    meetings = tuple(
        Meeting(week, held_first_time=rng.random() < 0.85)
        for week in meeting_weeks
        if week <= works_until
    )
    extra_meeting = rng.choice((3, 4, 6, 7)) if rng.random() < 0.15 else None
    if extra_meeting is not None and extra_meeting > works_until:
        extra_meeting = None
    started = works_until >= 1 and any(any(sets) for sets in answered.values())
    assessment = (
        _assessment(rng, instrument_items, last_active is None)
        if started and rng.random() < 0.95
        else None
    )
    return ClientProfile(
        number=number,
        municipality=municipality,
        unit=unit,
        cohort=cohort,
        counselor=counselor,
        first_name=name[0],
        last_name=name[1],
        identity_code=code,
        last_active_week=last_active,
        discontinuation=discontinuation,
        direction=direction,
        direction_change_week=change_week,
        answered=answered,
        needs_help=frozenset(help_needed),
        meetings=meetings,
        extra_meeting_week=extra_meeting,
        assessment=assessment,
        outcomes=_outcomes(rng, direction),
    )


def _last_active_week(rng: random.Random) -> int | None:
    """The week a leaver stops in (0: never starts), or None for someone who goes through."""
    if rng.random() < 0.04:
        return 0
    for week in range(1, WEEKS):
        hazard = 0.045 if week <= 4 else 0.025
        if rng.random() < hazard:
            return week
    return None


def _assessment(
    rng: random.Random, instrument_items: dict[str, list[str]], completes: bool
) -> SelfAssessment:
    level = rng.gauss(1.3, 0.45)
    growth = rng.gauss(0.45, 0.4)
    baseline = {
        f"{instrument}:{item}": _score(level + rng.gauss(0, 0.5))
        for instrument, items in instrument_items.items()
        for item in items
    }
    final = None
    if completes and rng.random() < 0.92:
        final = {
            key: _score(value + growth + rng.gauss(0, 0.45)) for key, value in baseline.items()
        }
    return SelfAssessment(baseline, final)


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _score(value: float) -> int:
    return max(0, min(3, round(value)))


# Share of ended paths whose counselor records each follow-up.
RECORDED_SHARE: dict[FollowUp, float] = {"end": 0.95, "3m": 0.85, "6m": 0.75}


def _outcomes(rng: random.Random, direction: str | None) -> dict[FollowUp, str]:
    recorded: dict[FollowUp, str] = {}
    for follow_up, share in RECORDED_SHARE.items():
        if rng.random() < share:
            recorded[follow_up] = pick(rng, OUTCOMES[follow_up][direction])
    return recorded
