"""`make run`: the whole system locally on the usual ports, until Ctrl-C.

Before it opens the doors it fills the demo: the cohort simulator lives through the past
months of a seeded population (so the dashboard has real figures at once), then six demo
paths start today in real time, one of them for the demo client who signs in.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from pathlib import Path

from deploy.demo_data import COUNSELOR, demo_identity_code, seed
from deploy.local_stack import StackError
from deploy.supervisor import Restart
from deploy.system import REPO_ROOT, SERVICES, start_system
from simulator.driver import SimulationError
from simulator.population import PopulationSpec
from simulator.run import default_end, run_simulation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--clients-per-group",
        type=int,
        default=6,
        help="simulated clients per municipality and cohort (0: no simulation)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    def on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Explicitly: a shell that starts us in the background hands SIGINT over ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    log_dir = REPO_ROOT / ".stack" / "logs"
    started = time.monotonic()
    print(
        "Starting PostgreSQL, the Kafka broker (Tansu), the development issuer and the four "
        "services…",
        flush=True,
    )
    try:
        system = start_system(
            fixed_ports=True,
            log_dir=log_dir,
            supervised=True,
            on_death=_print_death,
            on_restart=_print_restart,
        )
    except StackError as exc:
        print(f"Could not start Digipolku: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        simulated = 0
        if args.clients_per_group > 0:
            spec = PopulationSpec(
                end=default_end().date(), seed=args.seed, clients_per_group=args.clients_per_group
            )
            print(f"Simulating the past months of seed {spec.seed} (make simulate)…", flush=True)
            simulated = len(
                run_simulation(system, spec, lambda line: print(line, flush=True)).clients
            )
        print("Adding today's demo paths…", flush=True)
        answers = seed(system)
        elapsed = time.monotonic() - started
        print(f"\nDigipolku is up in {elapsed:.1f} s. Every service answers /healthz and /readyz.")
        print(
            f"Demo: {simulated} simulated clients in past and running cohorts, and 6 paths"
            f" opened today by counselor {COUNSELOR}, {answers} with an answer."
        )
        for name in SERVICES:
            url = system.urls[name]
            print(f"  {name:<10} {url}   API docs {url}/docs   AsyncAPI {url}/asyncapi")
        print(f"  {'issuer':<10} {system.issuer_url}   (development sign-in; never in production)")
        print(
            f"  Client's pages: {system.urls['tasks']}/  (sign in as a demo client with the"
            f" identity code {demo_identity_code(0)})"
        )
        print(
            f"  Counselor's pages: {system.urls['guidance']}/  (sign in as Outi Ohjaaja,"
            f" the demo counselor {COUNSELOR})"
        )
        print(
            f"  Managers' dashboard: {system.urls['reporting']}/  (sign in as Maija Mäkelä,"
            " the demo manager)"
        )
        print(f"  PostgreSQL {system.infrastructure.postgres.dsn}")
        print(f"  Kafka      {system.infrastructure.kafka.bootstrap_servers}")
        print(f"  Logs       {_relative(log_dir)}/<service>.log")
        print(
            "A process that dies is restarted with back-off, as Kubernetes would; each restart"
            " is reported here.",
        )
        print("Press Ctrl-C to stop everything.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(0.5)
    except SimulationError as exc:
        print(f"Could not fill the demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # Ctrl-C while the demo was being filled
    finally:
        print("\nStopping…", flush=True)
        system.stop()
        print("Stopped. No process or port is left behind.")
    return 0


def _exit_text(code: int | None) -> str:
    if code is None:
        return "code unknown"
    if code < 0:
        try:
            return f"code {code}, {signal.Signals(-code).name}"
        except ValueError:
            return f"code {code}"
    return f"code {code}"


def _print_death(name: str, code: int | None, delay: float) -> None:
    # Operator text in English, like the rest of make run's output.
    print(f"{name} exited ({_exit_text(code)}); restarting in {delay:.1f} s", flush=True)


def _print_restart(restart: Restart) -> None:
    print(
        f"{restart.name} is back: ready again {restart.downtime:.1f} s after it exited"
        f" (restart waited {restart.delay:.1f} s; logs continue in {restart.name}.log)",
        flush=True,
    )


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
