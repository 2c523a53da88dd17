"""Command to dashboard: how long after a counselor opens a path the managers' dashboard shows
it (`GET /figures`, the JSON the dashboard page renders, includes the opening: its `as_of`,
the time of the latest event in the figures, is at or after the moment the command was sent).

Not the "opened" count itself: under the cell-key method (decision 0031) one more path moves
the published count by one plus the difference of two noises, so it may stay or even fall.

The whole data path is inside the measurement: HTTP → enrolment's command handler → event
store → relay (polls the outbox every `relay_idle_seconds`) → Kafka → reporting's projector →
read model → `GET /figures`. Baselines from the same run and broker: the command's own round
trip, a raw broker round trip (produce → an already subscribed consumer), and one
`GET /figures` (the poll cost, i.e. the resolution of the measurement).

Not a test: numbers vary by machine; the ratios are what to compare across changes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import uvloop
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.latency_stats import TAIL_PERCENT, Latency, header, line, nearest_rank, ratio
from chassis.kafka_wire import ensure_topics, event_producer
from chassis.settings import ServiceSettings
from deploy.demo_data import (
    TENANT,
    UNIT,
    demo_identity_code,
    helsinki_today_now,
    open_path_request,
)
from deploy.system import RunningSystem, start_system

T = TypeVar("T")
WARMUP = 5
POPULATION = 8  # a tenant of a few paths, as in the pilot's first weeks
POLL_INTERVAL = 0.005
SAMPLE_TIMEOUT = 30.0
PROGRESS_EVERY = 20
# Bounded: a few hundred commands at most. Every command needs its own identity code, and
# demo_identity_code(n) is valid and distinct only for n in 0..699 (individual number 200 + n).
MAX_SAMPLES = 500
assert POPULATION + WARMUP + MAX_SAMPLES <= 700
Headers = dict[str, str]
COHORT = "bench"


class Dashboard:
    """The two ends of the path: a counselor's command and a manager's figures."""

    def __init__(self, client: httpx.AsyncClient, system: RunningSystem) -> None:
        self._client = client
        self._system = system
        self._numbers: Iterator[int] = itertools.count()
        self.counselor: Headers = {}
        self.manager: Headers = {}

    async def sign_in(self) -> None:
        self.counselor = await self._token("ohjaaja-bench", "counselor")
        self.manager = await self._token("johtaja-bench", "manager")
        await self._register()

    async def _register(self) -> None:
        """The bench's unit, cohort and counselor, as the tenant's admin keeps them."""
        admin = await self._token("paakayttaja-bench", "admin")
        base = self._system.urls["enrolment"]
        for kind, code in (("units", UNIT), ("cohorts", COHORT)):
            added = await self._client.post(
                f"{base}/registry/{kind}", json={"code": code, "name_fi": code}, headers=admin
            )
            if added.status_code != 409:
                added.raise_for_status()
        staff = await self._client.put(
            f"{base}/staff/ohjaaja-bench", json={"role": "counselor"}, headers=admin
        )
        staff.raise_for_status()

    async def _token(self, subject: str, role: str) -> Headers:
        response = await self._client.post(
            f"{self._system.issuer_url}/dev/token",
            json={"tenant": TENANT, "subject": subject, "role": role},
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def open_path(self) -> None:
        """One command: a new client (new identity code), so every call opens a path."""
        number = next(self._numbers)
        response = await self._client.post(
            f"{self._system.urls['enrolment']}/pathways",
            headers={**self.counselor, "Idempotency-Key": str(uuid4())},
            json=open_path_request(
                "Mittari",
                f"Asiakas-{number}",
                demo_identity_code(number),
                "061",  # Forssa
                COHORT,
                helsinki_today_now(),
            ),
        )
        if response.status_code != 201:
            raise RuntimeError(f"opening a path failed: {response.status_code} {response.text}")

    async def as_of(self) -> datetime | None:
        """When the latest event in the tenant's figures happened (None: none yet)."""
        response = await self._client.get(
            f"{self._system.urls['reporting']}/figures", headers=self.manager
        )
        response.raise_for_status()
        latest = response.json()["as_of"]
        return None if latest is None else datetime.fromisoformat(latest)

    async def wait_until_included(self, sent: datetime) -> None:
        """Poll in a tight loop until the figures include an event from `sent` or later; the
        caller bounds it with asyncio.timeout."""
        # Polling over HTTP is what is measured (as a dashboard reloads); there is no in-process
        # event to wait on.
        while (latest := await self.as_of()) is None or latest < sent:  # noqa: ASYNC110
            await asyncio.sleep(POLL_INTERVAL)


async def _timed(action: Callable[[], Coroutine[Any, Any, T]]) -> tuple[T, float]:
    started = time.perf_counter()
    result = await action()
    return result, time.perf_counter() - started


async def one_command(dashboard: Dashboard) -> tuple[float, float]:
    """(the command's round trip, command sent → the figure one higher), in seconds."""
    # The services keep the system clock here (no clock file), so the opening's time is at or
    # after this moment; the previous command's later events (its week opened) are older.
    sent_at = datetime.now(UTC)
    sent = time.perf_counter()
    _, round_trip = await _timed(dashboard.open_path)
    # Polling starts after the response: the event is committed before enrolment answers,
    # and relay → Kafka → projector takes far longer than the last bytes of the response.
    async with asyncio.timeout(SAMPLE_TIMEOUT):
        await dashboard.wait_until_included(sent_at)
    return round_trip, time.perf_counter() - sent


def _progress(what: str, done: int, total: int) -> None:
    if done % PROGRESS_EVERY == 0 or done == total:
        print(f"    {what}: {done}/{total}", flush=True)


async def _measure_commands(dashboard: Dashboard, samples: int) -> tuple[list[float], list[float]]:
    for _ in range(WARMUP):
        await one_command(dashboard)
    round_trips: list[float] = []
    to_figure: list[float] = []
    for done in range(1, samples + 1):
        round_trip, changed = await one_command(dashboard)
        round_trips.append(round_trip)
        to_figure.append(changed)
        _progress("commands", done, samples)
    return round_trips, to_figure


async def _measure_polls(dashboard: Dashboard, samples: int) -> list[float]:
    polls: list[float] = []
    for _ in range(samples):
        _, seconds = await _timed(dashboard.as_of)
        polls.append(seconds)
    return polls


async def _broker_round_trip(producer: Any, consumer: Any, topic: str) -> float:
    """Produce one message and wait for the subscribed consumer to hand it over."""
    marker = uuid4().bytes
    started = time.perf_counter()
    await producer.send(topic, marker)
    while True:
        message = await asyncio.wait_for(consumer.getone(), SAMPLE_TIMEOUT)
        if message.value == marker:
            return time.perf_counter() - started


async def _measure_broker(bootstrap: str, samples: int) -> list[float]:
    """Raw broker round trips on a fresh one-partition topic of the same broker.

    The producer is the relay's own (`event_producer`: acks=all, linger 5 ms), so the baseline
    is one hop of our wire with nothing of ours around it. The consumer waits on a fetch as
    long as the services' consumers do (kafka_fetch_max_wait_ms): how long a fetch waits for
    data on this broker is part of what the services pay.
    """
    topic = f"bench.latency.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=1)
    producer = event_producer(bootstrap)
    # The fetch wait the services' consumers use: Tansu holds a fetch for all of it.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=ServiceSettings.model_fields["kafka_fetch_max_wait_ms"].default,
    )
    await producer.start()
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        for _ in range(WARMUP):
            await _broker_round_trip(producer, consumer, topic)
        trips: list[float] = []
        for done in range(1, samples + 1):
            trips.append(await _broker_round_trip(producer, consumer, topic))
            _progress("broker round trips", done, samples)
        return trips
    finally:
        await consumer.stop()
        await producer.stop()


async def _measure(system: RunningSystem, samples: int) -> list[Latency]:
    # One client for everything: keep-alive, so no sample pays for a TCP connect.
    async with httpx.AsyncClient(timeout=SAMPLE_TIMEOUT) as client:
        dashboard = Dashboard(client, system)
        await dashboard.sign_in()
        print(f"  base population: {POPULATION} paths", flush=True)
        for _ in range(POPULATION):
            last_sent = datetime.now(UTC)
            await dashboard.open_path()
        async with asyncio.timeout(60.0):
            await dashboard.wait_until_included(last_sent)
        round_trips, to_figure = await _measure_commands(dashboard, samples)
        polls = await _measure_polls(dashboard, samples)
    trips = await _measure_broker(system.infrastructure.kafka.bootstrap_servers, samples)
    return [
        Latency.of("command → dashboard includes it", to_figure),
        Latency.of("command round trip (POST /pathways)", round_trips),
        Latency.of("raw broker round trip (produce → consumer)", trips),
        Latency.of("one GET /figures (the poll cost)", polls),
    ]


def _report(results: list[Latency], samples: int) -> None:
    to_figure, command, broker, poll = results
    print(header())
    for result in results:
        print(line(result))
    print(
        f"  p{TAIL_PERCENT}: nearest rank, the {nearest_rank(samples, TAIL_PERCENT)}th smallest"
        f" of {samples} samples; medians by statistics.median"
    )
    print(
        f"  resolution: /figures polled every {POLL_INTERVAL * 1000:.0f} ms after the command"
        f" answered, plus one GET ({poll.median * 1000:.1f} ms median)"
    )
    print(ratio("ratio command→dashboard / command round trip (medians)", to_figure, command))
    print(ratio("ratio command→dashboard / raw broker round trip (medians)", to_figure, broker))


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """On uvloop, the event loop uvicorn gives the services (as bench/__main__.py does)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def run_dashboard_latency(samples: int = 100) -> list[Latency]:
    """Start the system, measure, print, and return what was measured; synchronous
    (start_system runs its own event loop)."""
    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be 1..{MAX_SAMPLES} (one identity code per command)")
    print("\nCommand → dashboard: starting the whole system (durable PostgreSQL)…", flush=True)
    system = start_system(durable=True)
    try:
        print(
            f'  measuring "opened" of GET /figures: {WARMUP} warm-up rounds, then {samples}',
            flush=True,
        )
        results = _run_async(_measure(system, samples))
    finally:
        system.stop()
    _report(results, samples)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--samples", type=int, default=100, help=f"commands measured (1..{MAX_SAMPLES})"
    )
    started = time.monotonic()
    run_dashboard_latency(parser.parse_args().samples)
    print(f"\nfinished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
