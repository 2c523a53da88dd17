"""The simulated population: seeded, realistic in shape, and within the services' rules."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from statistics import mean

import pytest

from services.guidance.domain.outcomes import due_on, earliest_recording
from services.tasks.domain.curriculum import WEEKS
from simulator.population import ClientProfile, PopulationSpec
from simulator.run import population
from simulator.timeline import (
    ChooseDirection,
    Complete,
    Discontinue,
    HoldMeeting,
    OpenPath,
    RecordOutcome,
    SelfAssess,
    Step,
    Work,
    timeline,
    week_opens,
)

END = date(2026, 11, 20)
SPEC = PopulationSpec(end=END, seed=7, clients_per_group=10)


@pytest.fixture(scope="module")
def clients() -> list[ClientProfile]:
    return population(SPEC)


@pytest.fixture(scope="module")
def steps(clients: list[ClientProfile]) -> list[Step]:
    return timeline(SPEC, clients)


def test_the_same_seed_gives_the_same_population_and_steps(steps: list[Step]) -> None:
    again = population(SPEC)
    assert timeline(SPEC, again) == steps
    other = PopulationSpec(end=END, seed=8, clients_per_group=10)
    assert timeline(other, population(other)) != steps


def test_cohorts_start_on_mondays_and_the_earliest_reach_six_months(
    clients: list[ClientProfile],
) -> None:
    cohorts = SPEC.cohorts()
    assert len(cohorts) == 4 and all(c.start_date.weekday() == 0 for c in cohorts)
    earliest_end = week_opens(cohorts[0].start_date, WEEKS) + timedelta(days=4)
    assert due_on("6m", earliest_end) <= END  # someone can have a 6-month follow-up
    assert week_opens(cohorts[-1].start_date, WEEKS) > END  # the latest is under way
    assert len({c.municipality for c in clients}) == 3
    assert len(clients) == 3 * 4 * 10
    assert len({c.identity_code for c in clients}) == len(clients)


def test_the_population_has_the_shapes_the_dashboard_shows(
    clients: list[ClientProfile], steps: list[Step]
) -> None:
    kinds = Counter(type(step.action).__name__ for step in steps)
    reasons = Counter(c.discontinuation[0] for c in clients if c.discontinuation)
    assert 0.15 < sum(reasons.values()) / len(clients) < 0.5  # a realistic share ends early
    assert len(reasons) >= 4
    drop_weeks = {c.last_active_week for c in clients if c.last_active_week is not None}
    assert len(drop_weeks) >= 5  # drop-off spread over the weeks
    directions = Counter(s.action.direction for s in steps if isinstance(s.action, ChooseDirection))
    assert directions["work"] > directions["education"] > 0
    assert any(isinstance(s.action, Work) and s.action.late for s in steps)
    holds = [s.action for s in steps if isinstance(s.action, HoldMeeting)]
    assert any(not h.held for h in holds) and sum(h.held for h in holds) > len(holds) / 2
    follow_ups = Counter(s.action.follow_up for s in steps if isinstance(s.action, RecordOutcome))
    assert follow_ups["end"] > follow_ups["3m"] > follow_ups["6m"] > 0
    assert kinds["ChangeDirection"] > 0
    finals = [c.assessment for c in clients if c.assessment and c.assessment.final]
    growth = [mean(a.final.values()) - mean(a.baseline.values()) for a in finals if a.final]
    assert mean(growth) > 0.2  # self-assessments improve on average, not for everyone
    assert min(growth) < 0


def test_every_step_keeps_the_services_rules(
    clients: list[ClientProfile], steps: list[Step]
) -> None:
    assert all(step.day <= END for step in steps)
    assert [step.order for step in steps] == sorted(step.order for step in steps)
    by_client: dict[int, list[Step]] = {}
    for step in steps:
        by_client.setdefault(step.client, []).append(step)
    for client in clients:
        own = by_client[client.number]
        assert isinstance(own[0].action, OpenPath) and own[0].day == client.start_date
        ends = [s for s in own if isinstance(s.action, Complete | Discontinue)]
        assert len(ends) <= 1
        for step in own:
            action = step.action
            if isinstance(action, Work):
                opens_next = week_opens(client.start_date, action.week + 1)
                assert (step.day >= opens_next) == action.late  # late means the next week opened
                assert step.day >= week_opens(client.start_date, action.week)
            if ends and not isinstance(action, RecordOutcome):
                assert step.order <= ends[0].order  # nothing but follow-ups after the end
            if isinstance(action, SelfAssess) and action.phase == "final":
                assert step.day >= week_opens(client.start_date, WEEKS)
            if isinstance(action, RecordOutcome):
                assert ends, "an outcome is recorded only for an ended path"
                assert step.day >= earliest_recording(action.follow_up, ends[0].day)
                assert client.start_date <= action.outcome_date <= step.day
