"""The cohort simulator's traffic, in a thread of its own, for as long as the faults last.

Rounds of seeded populations are lived one after another, each in a year of its own (the
business clock moves forward through them), until asked to stop. A client whose step fails
for good (an outage past the driver's deadline, a path a service never heard of) is set
aside with its error and the others go on: the error is reported, never swallowed.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from chassis.clock import HELSINKI, write_clock_file
from faults.command_log import CommandLog
from simulator.driver import (
    OUTAGE_DEADLINE,
    TRANSIENT_STATUSES,
    ClientState,
    Driver,
    Endpoints,
    SimulationError,
)
from simulator.population import ClientProfile, PopulationSpec, simulated_identity_code
from simulator.references import register_references
from simulator.run import CONCURRENT_CLIENTS, STEP_TIME, population
from simulator.timeline import Step, timeline

# Rounds are a year apart (a path and its follow-ups fit in one), the last ending before
# today, so the calendar never runs ahead of real time.
ROUND_SPACING = timedelta(weeks=52)
MAX_ROUNDS = 30
# A request that gets no answer in this long is sent again (a paused or hung peer).
REQUEST_TIMEOUT = 10.0
# How long the day under way may go on once the traffic is asked to stop.
STOP_GRACE = 60.0
# An outage must answer 503, never 500 (issue 13); a 500 is sent again like a 503 so that the
# run goes on and the checker still sees everything, and it is counted and fails the run.
RETRIED = TRANSIENT_STATUSES | {500}


def unique_people(clients: list[ClientProfile], used: set[str], seed: int) -> list[ClientProfile]:
    """The round's clients, each a person no earlier round had. Rounds draw their people
    independently (a birth date and the client's number), so two rounds could draw the same
    identity code, and the second would be refused its path while the first one's still ran
    (409, rightly: one open path per person); such a client gets another birth date."""
    unique = []
    for client in clients:
        profile = client
        draw = random.Random(f"{seed}:{client.number}")
        while profile.identity_code in used:
            new_code = simulated_identity_code(client.number, draw)
            profile = replace(client, identity_code=new_code)
        used.add(profile.identity_code)
        unique.append(profile)
    return unique


@dataclass
class TrafficStats:
    rounds: int = 0
    steps: int = 0
    requests: int = 0
    clients_set_aside: list[str] = field(default_factory=list)
    transient: Counter[str] = field(default_factory=Counter)
    error: str | None = None  # what stopped the traffic itself, if anything did
    cut_short: bool = False  # steps were still under way after the stop's grace


class Traffic:
    def __init__(
        self,
        endpoints: Endpoints,
        clock_file: Path,
        log: CommandLog,
        seed: int,
        clients_per_group: int,
        last_day: date,
    ) -> None:
        self._endpoints = endpoints
        self._clock_file = clock_file
        self._log = log
        self._seed = seed
        self._clients_per_group = clients_per_group
        self._last_day = last_day
        # Every identity code a round has used: no person comes twice (unique_people).
        self._identities: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)
        self.stats = TrafficStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Let the day under way finish for `grace` seconds, then cut its steps short: a
        step cut short was not acknowledged, so the checker holds nothing to it."""
        self._stop.set()
        if self._thread.ident is None:
            return  # never started
        self._thread.join(grace)
        if self._thread.is_alive() and self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
            self._thread.join(grace)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self._rounds())
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            self.stats.cut_short = True
        except Exception as exc:  # reported by the harness, never lost
            self.stats.error = f"{type(exc).__name__}: {exc}"
        finally:
            loop.close()
            write_clock_file(self._clock_file, None)

    async def _rounds(self) -> None:
        limits = httpx.Limits(max_connections=CONCURRENT_CLIENTS * 2)
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as http:
            for number in range(MAX_ROUNDS):
                if self._stop.is_set():
                    return
                end = self._last_day - ROUND_SPACING * (MAX_ROUNDS - 1 - number)
                spec = PopulationSpec(
                    end=end,
                    seed=self._seed * 1000 + number,
                    clients_per_group=self._clients_per_group,
                )
                driver = Driver(
                    http,
                    self._endpoints,
                    spec.seed,
                    on_acknowledged=self._log.record,
                    transient_statuses=RETRIED,
                    not_yet_deadline=180.0,
                )
                try:
                    await _register(http, self._endpoints, spec)
                    await self._round(driver, spec)
                finally:
                    self.stats.requests += driver.requests
                    self.stats.transient.update(driver.transient)
                self.stats.rounds += 1

    async def _round(self, driver: Driver, spec: PopulationSpec) -> None:
        clients = unique_people(population(spec), self._identities, spec.seed)
        states = {client.number: ClientState(client) for client in clients}
        aside: set[int] = set()
        steps = list(enumerate(timeline(spec, clients)))
        for day, group in itertools.groupby(steps, key=lambda item: item[1].day):
            if self._stop.is_set():
                return
            write_clock_file(self._clock_file, datetime.combine(day, STEP_TIME, HELSINKI))
            todays = list(group)
            await self._one_day(driver, states, todays, aside, spec.seed)
            self.stats.steps += len(todays)

    async def _one_day(
        self,
        driver: Driver,
        states: dict[int, ClientState],
        todays: list[tuple[int, Step]],
        aside: set[int],
        seed: int,
    ) -> None:
        by_client: dict[int, list[tuple[int, Step]]] = {}
        for index, step in todays:
            if step.client not in aside:
                by_client.setdefault(step.client, []).append((index, step))
        gate = asyncio.Semaphore(CONCURRENT_CLIENTS)

        async def live(client: int, steps: list[tuple[int, Step]]) -> None:
            async with gate:
                for index, step in steps:
                    try:
                        await driver.run(states[client], step, index)
                    except SimulationError as exc:
                        aside.add(client)
                        self.stats.clients_set_aside.append(f"seed {seed} client {client}: {exc}")
                        return

        async with asyncio.TaskGroup() as tasks:
            for client, steps in by_client.items():
                tasks.create_task(live(client, steps))


async def _register(http: httpx.AsyncClient, endpoints: Endpoints, spec: PopulationSpec) -> None:
    """The round's references, waiting out an outage of enrolment as the driver's steps do
    (every registration is idempotent: a 409 is "added before")."""
    deadline = time.monotonic() + OUTAGE_DEADLINE
    while True:
        try:
            await register_references(http, endpoints, spec)
            return
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
            if (status is not None and status < 500) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)
