"""A simulated run through the real services: the dashboard's figures are what the seeded
population did, and rebuilding reporting from zero gives the very same figures."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from chassis.blue_green import rebuild_blue_green
from deploy.system import RunningSystem, migration_role, start_system
from services.reporting.adapters.figures_projection import FIGURES
from services.reporting.app import SPEC as REPORTING
from services.reporting.domain.cell_key import MAX_DEVIATION
from simulator.population import PopulationSpec
from simulator.run import SimulationResult, run_simulation
from simulator.settle import wait_until_reported
from simulator.timeline import (
    ChangeDirection,
    ChooseDirection,
    Complete,
    Discontinue,
    HoldMeeting,
    RecordOutcome,
    RequestMeeting,
    Step,
    timeline,
)
from tests.support.identities import IdentityFactory

SPEC = PopulationSpec(end=date(2026, 11, 20), seed=11, clients_per_group=3)


@pytest.fixture(scope="module")
def simulated() -> Iterator[tuple[RunningSystem, SimulationResult]]:
    # A system of its own: the simulation moves the services' clock through 2026.
    system = start_system(durable=False)
    try:
        yield system, run_simulation(system, SPEC, progress=lambda line: None)
    finally:
        system.stop()


def figures(system: RunningSystem, params: dict[str, str] | None = None) -> dict[str, Any]:
    manager = IdentityFactory(system.issuer_url).staff("manager")
    response = httpx.get(
        f"{system.urls['reporting']}/figures", params=params or {}, headers=manager.headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def expected_counts(steps: list[Step]) -> dict[tuple[str, ...], int]:
    """What the steps sent should have made of the tenant's figures."""
    final_direction: dict[int, str] = {}
    for step in steps:
        if isinstance(step.action, ChooseDirection | ChangeDirection):
            final_direction[step.client] = step.action.direction
    kinds = Counter(type(step.action) for step in steps)
    holds = [step.action for step in steps if isinstance(step.action, HoldMeeting)]
    outcomes = Counter(
        step.action.follow_up for step in steps if isinstance(step.action, RecordOutcome)
    )
    opened = len({step.client for step in steps})
    ended = kinds[Complete] + kinds[Discontinue]
    directions = Counter(final_direction.values())
    return {
        ("funnel", "opened"): opened,
        ("funnel", "completed"): kinds[Complete],
        ("status", "active"): opened - ended,
        ("status", "ended"): ended,
        ("status", "discontinued"): kinds[Discontinue],
        ("direction", "work"): directions["work"],
        ("direction", "education"): directions["education"],
        ("direction", "changes"): kinds[ChangeDirection],
        ("guidance", "requested", "total"): kinds[RequestMeeting],
        ("guidance", "held", "total"): sum(hold.held for hold in holds),
        ("guidance", "missed", "total"): sum(not hold.held for hold in holds),
        ("outcomes", "end", "followed_up"): outcomes["end"],
        ("outcomes", "3m", "followed_up"): outcomes["3m"],
        ("outcomes", "6m", "followed_up"): outcomes["6m"],
    }


# Figures that are sums over paths rather than counts of paths.
SUMS = {
    ("direction", "changes"),
    ("guidance", "requested", "total"),
    ("guidance", "held", "total"),
    ("guidance", "missed", "total"),
}
# Half the largest path's value: a simulated client has at most a few meetings.
SUM_NOISE = 3


def test_the_dashboard_shows_what_the_simulated_population_did(
    simulated: tuple[RunningSystem, SimulationResult],
) -> None:
    system, result = simulated
    shown = figures(system)
    compared = []
    for path, expected in expected_counts(timeline(SPEC, result.clients)).items():
        figure: Any = shown
        for key in path:
            figure = figure[key]
        if not figure["suppressed"]:
            # Counts within the stated noise; the sums (meetings, changes) within half their
            # largest path's value, which is a handful here (decision 0031).
            bound = SUM_NOISE if path in SUMS else MAX_DEVIATION
            assert abs(figure["value"] - expected) <= bound, (path, figure, expected)
            compared.append(path)
    # 36 clients: the headline figures are never hidden, so the comparison means something.
    assert {("funnel", "opened"), ("funnel", "completed"), ("status", "ended")} <= set(compared)
    assert len(compared) >= 10, compared
    assert shown["outcomes"]["6m"]["followed_up"]["value"], "the earliest cohort reached 6 months"
    for municipality, _ in SPEC.municipalities:
        by_place = figures(system, {"municipality": municipality})
        opened = by_place["funnel"]["opened"]["value"]
        assert abs(opened - len(SPEC.cohorts()) * 3) <= MAX_DEVIATION


def test_rebuilding_reporting_after_the_simulation_gives_identical_figures(
    simulated: tuple[RunningSystem, SimulationResult],
) -> None:
    system, _ = simulated
    cohorts = [cohort.label for cohort in SPEC.cohorts()]
    groups: list[dict[str, str]] = [
        {},
        *({"municipality": name} for name, _ in SPEC.municipalities),
        *({"cohort": label} for label in cohorts),
        {"period": "2026-Q1"},
    ]
    before = [figures(system, group) for group in groups]
    assert abs(before[0]["funnel"]["opened"]["value"] - 36) <= MAX_DEVIATION

    replayed = asyncio.run(
        rebuild_blue_green(
            system.infrastructure.postgres.dsn_for("reporting", migration_role("reporting")),
            FIGURES,
            system.infrastructure.kafka.bootstrap_servers,
            REPORTING.subscribes,
        )
    )
    stored, applied = wait_until_reported(system)
    assert replayed == stored == applied
    assert [figures(system, group) for group in groups] == before
