"""`make simulate`: a seeded population through the real services, in compressed time.

Starts the whole system locally (as `make run` does, on free ports), lives through the
cohorts' months day by day, prints what the managers' dashboard then shows, and stops. The
same seed and end date give the same figures on every run.

    python -m simulator --seed 2026 --clients-per-group 8 --end 2026-11-24
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import date
from typing import Any

import httpx

from deploy.local_stack import StackError
from deploy.system import RunningSystem, start_system
from simulator.driver import TENANT, SimulationError
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
