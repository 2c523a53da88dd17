"""Living through the simulated months: the clock moves day by day, and each day's steps are
sent to the services before the next day begins.

Every service reads "now" from the same clock file (chassis.clock), so a path opened on a
simulated Monday in March has its weeks, late answers and follow-ups fall on the simulated
days they would have in real life. When the last day is done the file is emptied and the
services are back on real time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import httpx

from chassis.clock import HELSINKI, write_clock_file
from deploy.system import RunningSystem
from services.tasks.adapters.curriculum_files import load_curriculum
from services.tasks.adapters.instrument_files import load_instruments
from services.tasks.domain.curriculum import WEEKS
from simulator.driver import DATA, ClientState, Driver, Endpoints, SimulationError
from simulator.population import ClientProfile, PopulationSpec, generate
from simulator.references import register_references
from simulator.settle import wait_until_reported
from simulator.timeline import Step, timeline

# The simulated hour of every step: after the meetings' 10 o'clock, inside office hours.
STEP_TIME = time_of_day(12, 0)
CONCURRENT_CLIENTS = 6


@dataclass(frozen=True)
class SimulationResult:
    clients: list[ClientProfile]
    steps: int
    requests: int
    days: int
    seconds: float


@dataclass(frozen=True)
class CourseShape:
    """What the drawn courses are sized to: the curriculum and instruments the services use."""

    instrument_items: dict[str, list[str]]
    tasks_per_week: dict[int, int]  # the larger of the two directions' counts
    meeting_weeks: tuple[int, ...]  # weeks with a task that needs a guidance meeting


def course_shape() -> CourseShape:
    curriculum = load_curriculum()
    return CourseShape(
        {i.instrument_id: list(i.item_ids) for i in load_instruments().values()},
        {
            week: max(len(curriculum.tasks_of_week(week, d)) for d in ("work", "education"))
            for week in range(1, WEEKS + 1)
        },
        tuple(sorted({task.week for task in curriculum.tasks if task.requires_meeting})),
    )


def population(spec: PopulationSpec) -> list[ClientProfile]:
    """The spec's clients, sized to the curriculum and instruments the services use."""
    people = json.loads((DATA / "people.json").read_text(encoding="utf-8"))
    shape = course_shape()
    return generate(
        spec,
        people["first_names"],
        people["last_names"],
        shape.instrument_items,
        shape.tasks_per_week,
        shape.meeting_weeks,
    )


async def simulate(
    spec: PopulationSpec,
    endpoints: Endpoints,
    clock_file: Path,
    progress: Callable[[str], None] = print,
) -> SimulationResult:
    clients = population(spec)
    steps = timeline(spec, clients)
    states = {client.number: ClientState(client) for client in clients}
    started = time.monotonic()
    days = 0
    shown_month: tuple[int, int] | None = None
    limits = httpx.Limits(max_connections=CONCURRENT_CLIENTS * 2)
    try:
        async with httpx.AsyncClient(timeout=60, limits=limits) as http:
            await register_references(http, endpoints, spec)
            driver = Driver(http, endpoints, spec.seed)
            numbered = list(enumerate(steps))
            done = 0
            for day, group in itertools.groupby(numbered, key=lambda item: item[1].day):
                todays = list(group)
                write_clock_file(clock_file, datetime.combine(day, STEP_TIME, HELSINKI))
                await _live_one_day(driver, states, todays)
                days += 1
                done += len(todays)
                month = (day.year, day.month)
                if month != shown_month:  # one line per simulated month
                    shown_month = month
                    progress(
                        f"  simulated up to {day.isoformat()}: {done}/{len(steps)} steps,"
                        f" {driver.requests} requests, {time.monotonic() - started:.0f} s"
                    )
            requests = driver.requests
    finally:
        write_clock_file(clock_file, None)  # back to real time, whatever happened
    return SimulationResult(clients, len(steps), requests, days, time.monotonic() - started)


async def _live_one_day(
    driver: Driver, states: dict[int, ClientState], todays: list[tuple[int, Step]]
) -> None:
    """One client's steps in their order; different clients side by side."""
    by_client: dict[int, list[tuple[int, Step]]] = {}
    for index, step in todays:
        by_client.setdefault(step.client, []).append((index, step))
    gate = asyncio.Semaphore(CONCURRENT_CLIENTS)

    async def live(client: int, steps: list[tuple[int, Step]]) -> None:
        async with gate:
            for index, step in steps:
                await driver.run(states[client], step, index)

    try:
        async with asyncio.TaskGroup() as group:
            for client, steps in by_client.items():
                group.create_task(live(client, steps))
    except* SimulationError as failed:
        raise failed.exceptions[0] from None


def default_end() -> datetime:
    """Yesterday: today's real hours belong to people using the demo, not to the simulation."""
    return datetime.now(HELSINKI) - timedelta(days=1)


def endpoints_of(system: RunningSystem) -> Endpoints:
    return Endpoints(
        issuer=system.issuer_url,
        enrolment=system.urls["enrolment"],
        tasks=system.urls["tasks"],
        guidance=system.urls["guidance"],
    )


def run_simulation(
    system: RunningSystem, spec: PopulationSpec, progress: Callable[[str], None] = print
) -> SimulationResult:
    """Simulate `spec` against a running system and wait until reporting has every event."""
    result = asyncio.run(simulate(spec, endpoints_of(system), system.clock_file, progress))
    wait_until_reported(system)
    return result
