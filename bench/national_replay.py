"""The national year replayed into every read model from zero (issue 15, item 4).

The year (`python -m simulator --national`) is decided, written into the three stores and
published by the services' relays; then each service that keeps read models from Kafka
(tasks, guidance, reporting) rebuilds all of its projections from offset 0 into a new,
migrated database, with its own projection code (chassis.rebuild.replay_topics, as a rebuild
does), each in a process of its own so that its peak memory is its own. The baseline, in the
same run and also in a process of its own, reads and decodes the same topics with no
projection: the consumer's ceiling. Targets: every read model rebuilt in under 5 minutes at
the national size (50,000 paths), each service's peak memory under 1 GiB.

    python -m bench.national_replay --paths 5000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.summary import Measured
from chassis.event_store import create_pool
from chassis.projector import Projector
from chassis.rebuild import replay_topics
from chassis.service import ServiceSpec
from deploy.databases import service_database
from deploy.local_stack import LocalInfrastructure, start_infrastructure
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.app import SPEC as REPORTING
from services.tasks.app import SPEC as TASKS
from simulator.national import NationalSpec
from simulator.national_run import SPECS, Target, fresh_stores, publish, write_year

# The services whose read models come from Kafka, and the size the targets are set for.
READERS: dict[str, ServiceSpec] = {"tasks": TASKS, "guidance": GUIDANCE, "reporting": REPORTING}
NATIONAL_PATHS = 50_000
TARGET_SECONDS = 300.0
TARGET_MEMORY_MIB = 1024.0
END = date(2026, 11, 30)


@dataclass(frozen=True)
class Replayed:
    """One process's replay: what it read, how long it took, its peak resident memory."""

    name: str
    events: int
    seconds: float
    peak_mib: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def _replay(name: str, bootstrap: str, admin_dsn: str, project: bool) -> Replayed:
    """In a child process: a fresh database for `name`'s read models, then its topics from 0
    (no projector at all when not `project`: reading and decoding only)."""
    spec = READERS[name]

    async def run() -> tuple[int, float]:
        projectors = []
        pool = None
        if project:
            dsn = await service_database(admin_dsn, spec, "national_replay")
            pool = await create_pool(dsn, max_size=20)  # as create_app makes the pool
            projectors = [Projector(pool, projection) for projection in spec.projections]
        try:
            started = time.perf_counter()
            read = await replay_topics(bootstrap, spec.subscribes, projectors, 7200)
            return read, time.perf_counter() - started
        finally:
            if pool is not None:
                await pool.close()

    read, seconds = asyncio.run(run())
    peak_kib = _own_peak_kib()
    label = f"{name} read models" if project else f"consume + decode only ({name}'s topics)"
    return Replayed(label, read, seconds, peak_kib / 1024)


def _own_peak_kib() -> int:
    """This process's own peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux
    carries the largest of it over exec, so a child spawned from a bench that had grown to
    230 MiB reported 230 MiB whatever it used itself."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_own_process(name: str, target: Target, project: bool) -> Replayed:
    """`_replay` in a fresh interpreter (spawned, so nothing of this process is shared)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_replay, (name, target.bootstrap, target.admin_dsn, project))


@dataclass(frozen=True)
class Produced:
    paths: int
    events: int
    write_seconds: float
    publish_seconds: float
    by_topic: dict[str, int]

    def on(self, topics: Sequence[str]) -> int:
        return sum(self.by_topic.get(topic, 0) for topic in topics)


async def produce_year(target: Target, paths: int, seed: int) -> Produced:
    spec = NationalSpec(paths=paths, end=END, seed=seed)
    dsns = await fresh_stores(target)
    written = await write_year(spec, dsns)
    print(f"  published by the relays: {written.total:,} events…", flush=True)
    seconds = await publish(target, dsns, written.events)
    by_topic = {
        topic: written.events[store]
        for store, spec in SPECS.items()
        for topic in spec.published_topics
    }
    return Produced(written.paths, written.total, written.seconds, seconds, by_topic)


def run_national_replay(
    infra: LocalInfrastructure,
    paths: int = 5_000,
    seed: int = 2026,
    readers: Sequence[str] = tuple(READERS),
) -> list[Measured]:
    """Generate and publish the national year at `paths` on `infra` (its broker must not hold
    the services' topics yet), then replay it into the read models of `readers` (default:
    every service that has some), in that order; the figures."""
    target = Target(infra.postgres.dsn, infra.kafka.bootstrap_servers)
    print(f"National year, {paths:,} paths (seed {seed})…", flush=True)
    produced = asyncio.run(produce_year(target, paths, seed))
    replays: list[tuple[Replayed, Replayed]] = []
    for name in readers:
        baseline = in_own_process(name, target, project=False)
        print(f"  {baseline.name}: {baseline.events:,} in {baseline.seconds:.1f} s", flush=True)
        rebuilt = in_own_process(name, target, project=True)
        print(
            f"  {rebuilt.name}: {rebuilt.events:,} in {rebuilt.seconds:.1f} s,"
            f" peak {rebuilt.peak_mib:,.0f} MiB",
            flush=True,
        )
        expected = produced.on(READERS[name].subscribes)
        if not baseline.events == rebuilt.events == expected:
            raise RuntimeError(
                f"{name} read {rebuilt.events} (baseline {baseline.events}) of the year's"
                f" {expected} events: the broker must not hold the services' topics already"
            )
        replays.append((baseline, rebuilt))
    return figures(produced, replays)


def figures(produced: Produced, replays: Sequence[tuple[Replayed, Replayed]]) -> list[Measured]:
    scale = NATIONAL_PATHS / produced.paths
    size = f"{produced.paths:,} paths, {produced.events:,} events"
    found = [
        Measured(
            f"national year: decide + store ({size})",
            produced.events / produced.write_seconds,
            "events/s",
            "none (first measurement)",
            None,
            "minutes for 50,000 paths",
            None,
        ),
        Measured(
            "national year: relays publish",
            produced.events / produced.publish_seconds,
            "events/s",
            "decide + store events/s",
            produced.events / produced.write_seconds,
            "—",
            None,
        ),
    ]
    total = 0.0
    for baseline, rebuilt in replays:
        total += rebuilt.seconds
        found += [
            Measured(
                f"replay from zero: {rebuilt.name}",
                rebuilt.per_second,
                "events/s",
                "consume + decode only events/s",
                baseline.per_second,
                "—",
                None,
            ),
            Measured(
                f"peak memory: {rebuilt.name}",
                rebuilt.peak_mib,
                "MiB",
                "consume + decode only MiB",
                baseline.peak_mib,
                f"< {TARGET_MEMORY_MIB:,.0f} MiB",
                rebuilt.peak_mib < TARGET_MEMORY_MIB,
            ),
        ]
    found += [
        Measured(
            f"replay from zero: {', '.join(r.name for _, r in replays)},"
            f" one after another ({size})",
            total,
            "s",
            "none",
            None,
            "—",
            None,
        ),
        Measured(
            f"… extrapolated to {NATIONAL_PATHS:,} paths (linear)",
            total * scale,
            "s",
            "none",
            None,
            f"< {TARGET_SECONDS:,.0f} s",
            total * scale < TARGET_SECONDS,
        ),
    ]
    return found


def main() -> None:
    # Here, not at the top: `make bench` (bench.__main__) imports this module.
    from bench.summary import Summary

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=5_000, help="paths in the simulated year")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--readers",
        default=",".join(READERS),
        help="services whose read models are replayed, in this order (default: all)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    print("Starting a durable local PostgreSQL (fsync on) and the Tansu broker…", flush=True)
    infra = start_infrastructure(durable=True)
    try:
        measured = run_national_replay(infra, args.paths, args.seed, args.readers.split(","))
    finally:
        infra.stop()
    summary = Summary()
    for each in measured:
        summary.add(each)
    print(summary.table())
    print(f"\nnational replay bench finished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
