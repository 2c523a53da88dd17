"""Writing the national year into the services' own event stores, and publishing it.

Each service gets its own database, migrated as the service migrates it on start. The appends
`simulator.national` decides go in through the store's own `append_events` function (the one
`PostgresEventStore.append` calls, with the same JSON), many commands in one transaction and
one pipelined round trip per store (`executemany`), which is what makes ten million events a
matter of minutes rather than hours. Then each service's relay (chassis.relay_runtime, as the
service starts it) publishes its store to Kafka as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import asyncpg
from pydantic import TypeAdapter
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chassis.event_store import GlobalPosition, PostgresEventStore, create_pool
from chassis.kafka_security import PLAINTEXT
from chassis.kafka_wire import ensure_topics
from chassis.relay import event_messages
from chassis.relay_runtime import start_relay
from chassis.service import ServiceSpec
from contracts.envelope import EventEnvelope
from deploy.databases import dsn_in, service_database
from services.enrolment.app import SPEC as ENROLMENT
from services.guidance.app import SPEC as GUIDANCE
from services.tasks.app import SPEC as TASKS
from simulator.national import STORES, Append, Decider, NationalSpec, national_clients
from simulator.run import course_shape

SPECS: dict[str, ServiceSpec] = {"enrolment": ENROLMENT, "tasks": TASKS, "guidance": GUIDANCE}
assert tuple(SPECS) == STORES
PATHS_PER_TRANSACTION = 100
_ENVELOPES = TypeAdapter(list[EventEnvelope])
_APPEND = "SELECT * FROM append_events($1, $2, $3, $4::text::jsonb, $5)"


@dataclass(frozen=True)
class Target:
    """Where the year goes: a PostgreSQL server (its admin DSN) and a Kafka broker."""

    admin_dsn: str
    bootstrap: str

    def dsn_for(self, database: str) -> str:
        return dsn_in(self.admin_dsn, database)


@dataclass
class Written:
    paths: int = 0
    events: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORES, 0))
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.events.values())


async def fresh_stores(target: Target, prefix: str = "national") -> dict[str, str]:
    """A new store per service; store → DSN."""
    return {
        store: await service_database(target.admin_dsn, spec, prefix)
        for store, spec in SPECS.items()
    }


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[events]:>12,} events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


async def write_year(
    spec: NationalSpec, dsns: dict[str, str], *, show_progress: bool = True
) -> Written:
    """Decide every path of the year and append it to the three stores."""
    written = Written()
    decider = Decider(spec.seed, spec.end)
    pools = {store: await create_pool(dsn, max_size=1) for store, dsn in dsns.items()}
    started = time.perf_counter()
    bar = progress_bar()
    task = bar.add_task("national year", total=spec.paths, events=0)
    try:
        with bar if show_progress else contextlib.nullcontext():
            pending: list[Append] = []
            in_batch = 0
            for client in national_clients(spec, course_shape()):
                pending += decider.appends(client)
                in_batch += 1
                if in_batch == PATHS_PER_TRANSACTION:
                    await _write(pools, pending, written)
                    written.paths += in_batch
                    bar.update(task, completed=written.paths, events=written.total)
                    pending, in_batch = [], 0
            await _write(pools, pending, written)
            written.paths += in_batch
            bar.update(task, completed=written.paths, events=written.total)
    finally:
        for pool in pools.values():
            await pool.close()
    written.seconds = time.perf_counter() - started
    return written


async def _write(pools: dict[str, asyncpg.Pool], appends: list[Append], written: Written) -> None:
    """One transaction per store for the batch's appends, in their order."""
    by_store: dict[str, list[tuple[str, int, None, str, None]]] = {s: [] for s in STORES}
    for append in appends:
        envelopes = append.envelopes
        by_store[append.store].append(
            (
                envelopes[0].stream_id,
                append.expected_version,
                None,
                _ENVELOPES.dump_json(envelopes).decode(),
                None,
            )
        )
        written.events[append.store] += len(envelopes)

    async def one(store: str) -> None:
        if not by_store[store]:
            return
        async with pools[store].acquire() as connection, connection.transaction():
            await connection.executemany(_APPEND, by_store[store])

    await asyncio.gather(*(one(store) for store in STORES))


async def publish(
    target: Target,
    dsns: dict[str, str],
    expected: dict[str, int],
    *,
    on_progress: Callable[[int], None] | None = None,
    give_up_after: float = 3600.0,
) -> float:
    """Run each store's relay, as its service does and each in a process of its own as in
    production, until it has published `expected[store]` events; returns the seconds taken."""
    topics = {topic for spec in SPECS.values() for topic in spec.published_topics}
    await ensure_topics(target.bootstrap, topics, security=PLAINTEXT, environment="development")
    context = multiprocessing.get_context("spawn")
    counters = {store: context.Value("q", 0) for store in STORES}
    processes = [
        context.Process(
            target=_in_own_loop,
            args=(
                relay_store,
                store,
                dsns[store],
                target.bootstrap,
                expected[store],
                counters[store],
                give_up_after,
            ),
            name=f"relay-{store}",
        )
        for store in STORES
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    try:
        while any(process.is_alive() for process in processes):
            if on_progress is not None:
                on_progress(sum(counter.value for counter in counters.values()))
            await asyncio.sleep(0.2)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    failed = [process.name for process in processes if process.exitcode != 0]
    if failed:
        raise RuntimeError(f"{', '.join(failed)} did not publish everything")
    if on_progress is not None:
        on_progress(sum(counter.value for counter in counters.values()))
    return time.perf_counter() - started


def _in_own_loop(run: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
    """A process's whole life: one coroutine in an event loop of its own."""
    asyncio.run(run(*args))


async def relay_store(
    store: str,
    dsn: str,
    bootstrap: str,
    expected: int,
    counter: Synchronized[int],
    give_up_after: float,
) -> None:
    """One store's relay (chassis.relay_runtime, as the service starts it) until it has
    published `expected` events; `counter` follows its count."""
    spec = SPECS[store]
    assert spec.publishes is not None
    pool = await create_pool(dsn, max_size=2)
    try:
        source = PostgresEventStore(pool, *([spec.upcaster] if spec.upcaster else []))
        running = await start_relay(
            source,
            event_messages(spec.publishes),
            name=spec.name,
            database_url=dsn,
            bootstrap=bootstrap,
            security=PLAINTEXT,
            environment="development",
            batch_size=500,  # ServiceSettings.relay_batch_size
            idle_seconds=0.05,
            own_topics=spec.published_topics,
        )
        try:
            deadline = time.perf_counter() + give_up_after
            while (published := running.relay.published) < expected:
                counter.value = published
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"the {store} relay published {published} of {expected}")
                await asyncio.sleep(0.2)
            counter.value = published
        finally:
            await running.stop()
    finally:
        await pool.close()


async def stored_events(dsns: dict[str, str]) -> dict[str, list[EventEnvelope]]:
    """Every store's events in their order (for tests: what the year holds)."""
    found: dict[str, list[EventEnvelope]] = {}
    for store, dsn in dsns.items():
        pool = await create_pool(dsn, max_size=1)
        try:
            events = await PostgresEventStore(pool).read_all(GlobalPosition.start(), 10_000_000)
            found[store] = [stored.envelope for stored in events]
        finally:
            await pool.close()
    return found


@dataclass(frozen=True)
class NationalRun:
    spec: NationalSpec
    dsns: dict[str, str]
    written: Written
    publish_seconds: float


async def run_national(spec: NationalSpec, target: Target) -> NationalRun:
    """The whole mode: fresh stores, the year written into them, the relays publishing it."""
    dsns = await fresh_stores(target)
    written = await write_year(spec, dsns)
    print(f"Publishing {written.total:,} events with the services' relays…", flush=True)
    bar = progress_bar()
    task = bar.add_task("published", total=written.total, events=0)
    with bar:
        seconds = await publish(
            target,
            dsns,
            written.events,
            on_progress=lambda done: bar.update(task, completed=done, events=done),
        )
    return NationalRun(spec, dsns, written, seconds)


def print_national(run: NationalRun, *, kept: bool) -> None:
    """The run's figures; with `kept`, where its stores are (not for a throwaway server)."""
    written = run.written
    print(
        f"{written.paths:,} paths in {len(run.spec.organisers())} wellbeing areas up to"
        f" {run.spec.end}: {written.total:,} events"
        f" ({', '.join(f'{store} {n:,}' for store, n in written.events.items())}),"
        f" decided and stored in {written.seconds:.0f} s"
        f" ({written.total / written.seconds:,.0f} events/s),"
        f" published in {run.publish_seconds:.0f} s"
        f" ({written.total / run.publish_seconds:,.0f} events/s)."
    )
    if kept:
        for store, dsn in run.dsns.items():
            print(f"  {store} store: {dsn}")
