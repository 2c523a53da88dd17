"""`make simulate`: a seeded population through the real services, in compressed time.

Starts the whole system locally (as `make run` does, on free ports), lives through the
cohorts' months day by day, prints what the managers' dashboard then shows, and stops. The
same seed and end date give the same figures on every run.

    python -m simulator --seed 2026 --clients-per-group 8 --end 2026-11-24

With --national it simulates a whole year for every wellbeing area instead: the paths are
decided by the services' domain code in this process (not over HTTP), written into each
service's own event store and published by the services' relays (simulator.national):

    python -m simulator --national --paths 50000 --seed 2026
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from datetime import date
from typing import Any

import httpx

from deploy.local_stack import StackError, start_infrastructure
from deploy.system import RunningSystem, start_system
from simulator.driver import TENANT, SimulationError
from simulator.national import NationalSpec
from simulator.national_run import Target, print_national, run_national
from simulator.population import PopulationSpec
from simulator.run import default_end, run_simulation


def _print_figures(system: RunningSystem) -> None:
    token = httpx.post(
        f"{system.issuer_url}/dev/token",
        json={"tenant": TENANT, "subject": "simulator-manager", "role": "manager"},
    ).json()["access_token"]
    figures = httpx.get(
        f"{system.urls['reporting']}/figures", headers={"Authorization": f"Bearer {token}"}
    ).json()

    def shown(figure: dict[str, Any]) -> str:
        return "hidden" if figure["suppressed"] else str(figure["value"])

    for title, group in (
        ("funnel", figures["funnel"]),
        ("status", figures["status"]),
        ("direction", figures["direction"]),
    ):
        print(f"  {title}: " + ", ".join(f"{k} {shown(v)}" for k, v in group.items()))
    follow_ups = figures["outcomes"]
    print(
        "  followed up: "
        + ", ".join(f"{key} {shown(value['followed_up'])}" for key, value in follow_ups.items())
    )
    print("  (hidden: fewer than 5 clients, or a hidden figure could be worked out from it)")
    # The same seed and end give the same figures: compare this line between two runs.
    # `as_of` is left out: the calendar keeps working in real time after the run.
    del figures["as_of"]
    digest = hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()[:16]
    print(f"  figures digest {digest}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--clients-per-group", type=int, default=8, help="per municipality+cohort")
    parser.add_argument(
        "--end", type=date.fromisoformat, default=None, help="last simulated day (yesterday)"
    )
    national = parser.add_argument_group("national year (--national)")
    national.add_argument(
        "--national",
        action="store_true",
        help="a year for all 22 wellbeing-area organisers, in-process into the event stores",
    )
    national.add_argument("--paths", type=int, default=50_000, help="paths in the year")
    national.add_argument(
        "--areas", default=None, help="comma-separated tenant slugs (default: all 22)"
    )
    national.add_argument(
        "--postgres",
        default=None,
        help="admin DSN of a PostgreSQL server to write to (default: a throwaway local one)",
    )
    national.add_argument("--bootstrap", default=None, help="its Kafka broker (with --postgres)")
    args = parser.parse_args()
    if args.national:
        return _national(args)
    spec = PopulationSpec(
        end=args.end or default_end().date(),
        seed=args.seed,
        clients_per_group=args.clients_per_group,
    )
    print("Starting the system (PostgreSQL, Tansu, the issuer and the four services)…", flush=True)
    try:
        system = start_system(durable=False)
    except StackError as exc:
        print(f"Could not start Digipolku: {exc}", file=sys.stderr)
        return 1
    try:
        started = time.monotonic()
        print(f"Simulating seed {spec.seed} up to {spec.end}…", flush=True)
        result = run_simulation(system, spec, lambda line: print(line, flush=True))
        print(
            f"Simulated {len(result.clients)} clients, {result.steps} steps over {result.days}"
            f" days with {result.requests} requests in {time.monotonic() - started:.0f} s."
        )
        _print_figures(system)
    except SimulationError as exc:
        print(f"The simulation stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        system.stop()
    return 0


def _national(args: argparse.Namespace) -> int:
    spec = NationalSpec(
        paths=args.paths,
        end=args.end or default_end().date(),
        seed=args.seed,
        tenants=tuple(args.areas.split(",")) if args.areas else None,
    )
    if args.postgres:
        if not args.bootstrap:
            print("--postgres needs --bootstrap", file=sys.stderr)
            return 2
        written = asyncio.run(run_national(spec, Target(args.postgres, args.bootstrap)))
        print_national(written, kept=True)
        return 0
    print("Starting a throwaway PostgreSQL and Tansu…", flush=True)
    try:
        infra = start_infrastructure(durable=False)
    except StackError as exc:
        print(f"Could not start them: {exc}", file=sys.stderr)
        return 1
    try:
        target = Target(infra.postgres.dsn, infra.kafka.bootstrap_servers)
        print_national(asyncio.run(run_national(spec, target)), kept=False)
    finally:
        infra.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
