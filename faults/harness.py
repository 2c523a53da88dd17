"""One fault run: the system as `make run` starts it (supervised, its broker and database
behind proxies, development mode), the simulator's traffic, the schedule's faults one after
another with the recovery from each measured, then the settling, the check and the report.
Everything it starts it stops, whatever happens."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.topics import ENROLMENT_EVENTS
from deploy.supervisor import Restart
from deploy.system import RunningSystem, start_system
from faults.checker import PublicTopic, Verdict, Window, check
from faults.command_log import CommandLog
from faults.injectors import heal_everything, inject_and_hold
from faults.public_topic import read_public
from faults.rebuild_check import rebuild_differences
from faults.recovery import settle, wait_recovered
from faults.schedule import Fault, Kind, Plan, only, schedule
from faults.traffic import Traffic
from faults.witness import Feed, counts, feeds, observe
from services.enrolment.adapters.pathway_list import PATHWAY_LIST
from services.enrolment.app import SPEC as ENROLMENT
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.app import SPEC as REPORTING
from services.reporting.domain.tenant_events import tenant_event_id
from services.reporting.settings import ReportingSettings
from services.tasks.app import SPEC as TASKS
from simulator.run import default_end, endpoints_of

SPECS = {"enrolment": ENROLMENT, "tasks": TASKS, "guidance": GUIDANCE, "reporting": REPORTING}
# Read models a service's commands keep in their own transaction, with their source topic.
INLINE = {"enrolment": [(PATHWAY_LIST.name, ENROLMENT_EVENTS)]}
EVERY_FEED: list[Feed] = feeds(SPECS, INLINE)
# After this many faults in a row without recovery the system is broken: more faults would
# only cost their recovery limit each, so the run stops injecting and judges what it has.
GIVE_UP_AFTER_UNRECOVERED = 3


@dataclass(frozen=True)
class Options:
    seed: int
    duration: float  # at least this many seconds of traffic under faults
    plan: Plan
    kinds: frozenset[Kind] = frozenset(Kind)
    max_faults: int | None = None  # only the schedule's first faults (a short run)
    clients_per_group: int = 4
    min_events: int = 0  # fewer events stored than this fails the run (too little traffic)
    recovery_limit: float = 120.0
    settle_limit: float = 300.0
    artifacts: Path = Path("test-artifacts/faults")
    log_dir: Path | None = None


@dataclass
class Outcome:
    verdict: Verdict
    report: dict[str, Any]
    failures: list[str] = field(default_factory=list)  # beyond the checker's: a run not done

    @property
    def passed(self) -> bool:
        return not self.verdict.failed and not self.failures


def run(options: Options, progress: Callable[[str], None] = print) -> Outcome:
    faults = only(schedule(options.seed, options.plan), set(options.kinds))[: options.max_faults]
    progress(
        f"Fault run: seed {options.seed}, at least {options.duration:.0f} s of traffic,"
        f" {len(faults)} faults; starting the system (supervised, proxied)…"
    )
    restarts: list[Restart] = []
    # Durable, as `make run`: a throwaway cluster without fsync or synchronous commit loses
    # acknowledged commits when PostgreSQL crashes, which is the cluster's doing, not ours.
    system = start_system(
        durable=True,
        supervised=True,
        proxied=True,
        log_dir=options.log_dir,
        on_restart=restarts.append,
    )
    traffic: Traffic | None = None
    try:
        dsns = {name: system.infrastructure.postgres.dsn_for(name) for name in SPECS}
        urls = {name: system.urls[name] for name in SPECS}
        endpoints = endpoints_of(system)
        log = CommandLog(endpoints)
        traffic = Traffic(
            endpoints,
            system.clock_file,
            log,
            options.seed,
            options.clients_per_group,
            default_end().date(),
        )
        started = time.monotonic()
        traffic.start()
        windows = _inject_all(system, faults, options, dsns, urls, log, traffic, started, progress)
        while time.monotonic() - started < options.duration and traffic.running:
            time.sleep(1.0)
        progress("Stopping the traffic (the day under way finishes)…")
        traffic.stop()
        heal_everything(system)
        return _judge(
            system, options, faults, windows, log, traffic, restarts, dsns, urls, progress
        )
    finally:
        try:
            if traffic is not None and traffic.running:
                traffic.stop()
        finally:
            system.stop()


def _inject_all(
    system: RunningSystem,
    faults: list[Fault],
    options: Options,
    dsns: dict[str, str],
    urls: dict[str, str],
    log: CommandLog,
    traffic: Traffic,
    started: float,
    progress: Callable[[str], None],
) -> list[Window]:
    windows: list[Window] = []
    unrecovered = 0
    for number, fault in enumerate(faults, start=1):
        if not traffic.running:
            progress(f"The traffic stopped: {traffic.stats.error}; no more faults.")
            break
        if unrecovered >= GIVE_UP_AFTER_UNRECOVERED:
            progress(f"No recovery from {unrecovered} faults in a row; no more faults.")
            break
        time.sleep(fault.gap)
        before = asyncio.run(counts(dsns, EVERY_FEED))
        injected_at = time.monotonic()
        relays = inject_and_hold(system, fault)
        recovery = asyncio.run(
            wait_recovered(urls, dsns, EVERY_FEED, before, injected_at, options.recovery_limit)
        )
        windows.append(Window(fault.name, injected_at, before.highest, recovery, relays))
        unrecovered = unrecovered + 1 if recovery is None else 0
        shown = "not within the limit" if recovery is None else f"{recovery:.1f} s"
        progress(
            f"  [{number}/{len(faults)}] {injected_at - started:6.0f} s  {fault.name:<24}"
            f" recovered: {shown:<20} acknowledged {len(log)},"
            f" stored {sum(before.stored.values())}"
        )
    return windows


def _judge(
    system: RunningSystem,
    options: Options,
    faults: list[Fault],
    windows: list[Window],
    log: CommandLog,
    traffic: Traffic,
    restarts: list[Restart],
    dsns: dict[str, str],
    urls: dict[str, str],
    progress: Callable[[str], None],
) -> Outcome:
    failures: list[str] = []
    progress("Waiting until every relay and read model has caught up…")
    settled, _ = asyncio.run(settle(urls, dsns, EVERY_FEED, options.settle_limit))
    if not settled:
        failures.append(f"the read models did not settle within {options.settle_limit:.0f} s")
    seen = asyncio.run(observe(dsns, EVERY_FEED))
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    progress("Reading the tenants' path topics and rebuilding every read model from zero…")
    # Reporting's reference key as the system was given it (the development one unless the
    # shell set another): the tenant events' ids are keyed hashes of the internal ids.
    ref_key = ReportingSettings(environment="development").public_ref()
    public = PublicTopic(
        asyncio.run(read_public(bootstrap)), functools.partial(tenant_event_id, ref_key)
    )
    differences = asyncio.run(rebuild_differences(SPECS, dsns, bootstrap))
    verdict = check(log.commands(), seen, EVERY_FEED, windows, public, differences)
    if traffic.stats.error:
        failures.append(f"the traffic stopped: {traffic.stats.error}")
    internal_errors = traffic.stats.transient.get("500", 0)
    if internal_errors:
        failures.append(
            f"{internal_errors} answers were 500 during outages (a 503 with Retry-After is due)"
        )
    if traffic.stats.clients_set_aside:
        failures.append(
            f"{len(traffic.stats.clients_set_aside)} simulated clients could not go on:"
            f" {traffic.stats.clients_set_aside[0]}"
        )
    if len(windows) < len(faults):
        failures.append(f"only {len(windows)} of {len(faults)} faults were injected")
    if verdict.events < options.min_events:
        failures.append(f"only {verdict.events} events stored, fewer than {options.min_events}")
    report: dict[str, Any] = {
        "seed": options.seed,
        "duration_s": options.duration,
        "kinds": sorted(kind.value for kind in options.kinds),
        "faults_scheduled": len(faults),
        "faults_injected": len(windows),
        "traffic": {
            "rounds": traffic.stats.rounds,
            "steps": traffic.stats.steps,
            "requests": traffic.stats.requests,
            "transient_answers": dict(traffic.stats.transient),
            "clients_set_aside": traffic.stats.clients_set_aside,
            "cut_short": traffic.stats.cut_short,
        },
        "supervisor_restarts": [
            {"name": r.name, "exit_code": r.exit_code, "downtime_s": round(r.downtime, 2)}
            for r in restarts
        ],
        "settled": settled,
        "failures": failures,
    }
    return Outcome(verdict, report, failures)
