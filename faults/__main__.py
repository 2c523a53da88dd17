"""`make faults`: the whole system under the simulator's traffic and a seeded schedule of
faults, then the checker's verdict (decision 0029). Exits 1 on any loss, duplicate,
reordering, phantom or rebuild difference, or a run that could not be done.

    python -m faults --seed 2026 --duration 1800
    python -m faults --seed 7 --duration 60 --kills 1 --others 1 --kinds kill,broker-restart
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deploy.local_stack import StackError
from faults.harness import Options, run
from faults.report import problems, table, write_json
from faults.schedule import Kind, Plan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--duration", type=float, default=1800.0, help="seconds of traffic, at least"
    )
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs of each service")
    parser.add_argument("--others", type=int, default=5, help="faults of every other kind")
    parser.add_argument(
        "--kinds",
        default=",".join(kind.value for kind in Kind),
        help="the fault kinds to inject, comma-separated",
    )
    parser.add_argument("--max-faults", type=int, default=None, help="only the first N")
    parser.add_argument("--clients-per-group", type=int, default=4)
    parser.add_argument("--min-events", type=int, default=10_000)
    parser.add_argument("--artifacts", type=Path, default=Path("test-artifacts/faults"))
    args = parser.parse_args(argv)
    options = Options(
        seed=args.seed,
        duration=args.duration,
        plan=Plan(kills=args.kills, others=args.others),
        kinds=frozenset(Kind(kind.strip()) for kind in args.kinds.split(",") if kind.strip()),
        max_faults=args.max_faults,
        clients_per_group=args.clients_per_group,
        min_events=args.min_events,
        artifacts=args.artifacts,
        log_dir=args.artifacts / "logs",
    )
    try:
        outcome = run(options, lambda line: print(line, flush=True))
    except StackError as exc:
        print(f"Could not start Digipolku: {exc}", file=sys.stderr)
        return 1
    print()
    print(table(outcome.verdict))
    details = problems(outcome.verdict)
    if details:
        print("Problems (the first of each row):")
        print(details)
    for failure in outcome.failures:
        print(f"Run failed: {failure}")
    written = write_json(outcome.verdict, outcome.report, options.artifacts)
    print(f"Written to {written}")
    print("PASSED" if outcome.passed else "FAILED")
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
