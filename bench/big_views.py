"""The staff's big pages (issue 15, item 4): a counselor's caseload of 300 clients, and the
managers' dashboard of a tenant with 10,000 paths, each timed as sequential requests.

The read models are filled by the services' own projections, live: a cohort simulator run is
recorded (bench/catch_up.py), and its events, cloned onto new path ids in the same tenant, are
sent to the topics of a throwaway system that guidance and reporting consume as they would
the relays' messages. Tasks is stopped first, so that it starts no plans of its own for the
cloned paths (the clones already hold the plans tasks recorded in the simulated run).

The seed run's counselor `ohjaaja-2` opens a third of its paths (one municipality of three),
so 25 clones of a 36-path seed give them exactly 300 clients; more clones then bring the
tenant to at least 10,000 paths for the dashboard.

Baseline from the same run: each service's `/healthz`, sequential, on the same system.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import uvloop

from bench.catch_up import RecordedEvent, produce, record_simulated_run, wire_records
from bench.latency_stats import Latency, line
from bench.shape import BENCH_SYSTEM_ENV
from bench.summary import Measured, Summary
from chassis.kafka_wire import ensure_topics
from deploy.system import RunningSystem, start_system
from services.guidance.app import SPEC as GUIDANCE
from tests.support.sign_in import Session, sign_in

CASELOAD_COUNSELOR = "ohjaaja-2"
CASELOAD_CLIENTS = 300
TENANT_PATHS = 10_000
MANAGER = "esihenkilo-demo"
PAGE_P99_TARGET_MS = 300.0
WARMUP = 10
PAGE_SECONDS = 60.0  # each page's sampling stops after this long, with fewer samples
CATCH_UP_TIMEOUT = 900.0
CASELOAD_PAGES = {  # {clients}: how many the counselor has (300 with the default seed)
    "caseload page, {clients} clients": "/",
    "caseload page, {clients} clients, by last activity": "/?jarjestys=last_activity",
    "caseload page, {clients} clients, one municipality": "/?kunta=694",
}
DASHBOARD_PAGES = {
    "dashboard page, 10,000 paths": "/",
    "dashboard page, 10,000 paths, one municipality": "/?municipality=061",
    "dashboard comparison page, 10,000 paths": "/vertailu",
    "dashboard trend page, 10,000 paths": "/kehitys",
}


def opened_paths(history: Sequence[RecordedEvent]) -> list[tuple[str, str]]:
    """(path id, its first counselor) of every path the seed run opened."""
    return [
        (e.stream_id, str(e.payload["counselor_ids"][0]))
        for _, e in history
        if e.event_type == "PathwayOpened"
    ]


async def _count(system: RunningSystem, service: str, query: str) -> int:
    return int(str(await _value(system, service, query)))


async def _value(system: RunningSystem, service: str, query: str) -> object:
    connection = await asyncpg.connect(system.infrastructure.postgres.dsn_for(service))
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def caught_up(system: RunningSystem, paths: int) -> float:
    """Wait until guidance's caseload and reporting's paths both hold `paths`, and then until
    neither read model changes any more (the paths' later events follow their openings);
    seconds. Pages timed while a projection still writes would time its work too."""
    started = time.perf_counter()
    async with asyncio.timeout(CATCH_UP_TIMEOUT):
        while True:
            caseload = await _count(system, "guidance", "SELECT count(*) FROM caseload")
            report = await _count(system, "reporting", "SELECT count(*) FROM report_paths")
            if caseload >= paths and report >= paths:
                break
            print(f"    projected: caseload {caseload:,}, reporting {report:,} / {paths:,}")
            await asyncio.sleep(5)
        last: tuple[object, object] | None = None
        while (now := await _last_changes(system)) != last:
            last = now
            await asyncio.sleep(2)
    return time.perf_counter() - started


async def _last_changes(system: RunningSystem) -> tuple[object, object]:
    return (
        await _value(system, "guidance", "SELECT max(updated_at) FROM caseload"),
        await _value(system, "reporting", "SELECT array_agg(revision) FROM report_freshness"),
    )


@dataclass(frozen=True)
class Timed:
    """A page's sequential times after the warm-up, and its very first request: a view that
    found no figures kept for the tenant's current rows (reporting's figures_cache) and
    computed them, as the first view after every change of the tenant's rows does."""

    latency: Latency
    first: float


async def sequential(session: Session, path: str, samples: int) -> Timed:
    """`samples` requests one after another after a warm-up, or as many as PAGE_SECONDS
    allows (a page of a second or more would otherwise take many minutes)."""
    async with httpx.AsyncClient(base_url=session.base, headers=session.headers, timeout=30) as h:
        times: list[float] = []
        ends = time.perf_counter() + PAGE_SECONDS
        while len(times) < samples + WARMUP and (
            len(times) <= WARMUP or time.perf_counter() < ends
        ):
            started = time.perf_counter()
            response = await h.get(path)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{session.base}{path}: {response.status_code}")
    measured = Latency.of(path, times[WARMUP:])
    print(f"  {session.base}{path}: first {times[0] * 1000:.0f} ms; {line(measured)}", flush=True)
    return Timed(measured, times[0])


def first_views(pages: dict[str, Timed], floor: Timed, floor_name: str) -> list[Measured]:
    """Each page's first view, the one that computes what later views reuse."""
    return [
        Measured(
            f"{name}, first view after the figures moved",
            timed.first * 1000,
            "ms",
            f"{floor_name}, sequential, p99 ms",
            floor.latency.tail * 1000,
            f"< {PAGE_P99_TARGET_MS:.0f} ms",
            timed.first * 1000 < PAGE_P99_TARGET_MS,
        )
        for name, timed in pages.items()
    ]


def page_figures(pages: dict[str, Timed], floor: Timed, floor_name: str) -> list[Measured]:
    measured = []
    for name, timed in pages.items():
        latency = timed.latency
        for label, value in (("p50", latency.median), ("p99", latency.tail)):
            tail = label == "p99"
            measured.append(
                Measured(
                    f"{name}, {label} ({latency.count} sequential)",
                    value * 1000,
                    "ms",
                    f"{floor_name}, sequential, {label} ms",
                    (floor.latency.tail if tail else floor.latency.median) * 1000,
                    f"p99 < {PAGE_P99_TARGET_MS:.0f} ms" if tail else "none",
                    value * 1000 < PAGE_P99_TARGET_MS if tail else None,
                )
            )
    return measured


async def _measure(
    system: RunningSystem, history: list[RecordedEvent], samples: int
) -> list[Measured]:
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    records = wire_records(history)
    seed_paths = opened_paths(history)
    theirs = sum(counselor == CASELOAD_COUNSELOR for _, counselor in seed_paths)
    if not theirs:
        raise RuntimeError(f"the seed run has no path of {CASELOAD_COUNSELOR}")
    first = math.ceil(CASELOAD_CLIENTS / theirs)
    total = max(first, math.ceil(TENANT_PATHS / len(seed_paths)))
    await ensure_topics(bootstrap, {*GUIDANCE.subscribes, *(r.topic for r in records)})
    print(
        f"  caseload: {first} clones of {len(seed_paths)} paths"
        f" ({first * theirs} of {CASELOAD_COUNSELOR})",
        flush=True,
    )
    await produce(bootstrap, records, first)
    await caught_up(system, first * len(seed_paths))
    counselor = await asyncio.to_thread(sign_in, system, "guidance", account=CASELOAD_COUNSELOR)
    caseload = {
        n.format(clients=first * theirs): await sequential(counselor, p, samples)
        for n, p in CASELOAD_PAGES.items()
    }
    guidance_floor = await sequential(counselor, "/healthz", samples)
    print(
        f"  dashboard: {total - first} clones more, {total * len(seed_paths):,} paths", flush=True
    )
    await produce(bootstrap, records, total - first, first=first)
    seconds = await caught_up(system, total * len(seed_paths))
    print(f"    the projections took {seconds:.0f} s after the last message was sent", flush=True)
    manager = await asyncio.to_thread(sign_in, system, "reporting", account=MANAGER)
    dashboard = {n: await sequential(manager, p, samples) for n, p in DASHBOARD_PAGES.items()}
    reporting_floor = await sequential(manager, "/healthz", samples)
    return [
        *page_figures(caseload, guidance_floor, "guidance /healthz"),
        *page_figures(dashboard, reporting_floor, "reporting /healthz"),
        *first_views(dashboard, reporting_floor, "reporting /healthz"),
    ]


def _run(coroutine: Coroutine[Any, Any, list[Measured]]) -> list[Measured]:
    """On uvloop, the event loop uvicorn gives the services (as bench/__main__.py does)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def run_big_views(history: list[RecordedEvent] | None = None, samples: int = 200) -> list[Measured]:
    """Record a seed run unless given one (bench/catch_up.record_simulated_run(3)), start a
    throwaway system, fill it and time its pages, stop it; synchronous."""
    if history is None:
        print("\nStaff's big pages: recording a cohort simulator run…", flush=True)
        history = record_simulated_run(3)
    print("  starting the whole system (durable PostgreSQL)…", flush=True)
    system = start_system(durable=True, extra_env=BENCH_SYSTEM_ENV)
    try:
        system.stop_service("tasks")
        return _run(_measure(system, history, samples))
    finally:
        system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200, help="requests timed per page")
    started = time.monotonic()
    print(Summary(run_big_views(samples=parser.parse_args().samples)).table())
    print(f"\nfinished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
