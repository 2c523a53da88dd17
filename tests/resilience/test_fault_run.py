"""A short seeded fault run in `make test` (decision 0029): the system under the simulator's
traffic while a few faults strike, and the checker finds nothing lost, duplicated, reordered
or uncaused, and every read model equal to its rebuild. `make faults` is the full run.

The kinds here are those that hold on the current main; add a kind once the part it needs
holds (a broker that comes back empty does not yet: reporting's public publisher keeps
failing on the public topic the broker forgot)."""

from __future__ import annotations

import time
from pathlib import Path

from faults.checker import NO_FAULT
from faults.harness import Options, run
from faults.report import problems, table, write_json
from faults.schedule import Kind, Plan

REPO_ROOT = Path(__file__).resolve().parents[2]
SHORT_KINDS = frozenset(
    {Kind.KILL, Kind.POSTGRES_IMMEDIATE, Kind.PROXY_DROP, Kind.PROXY_DELAY, Kind.PROXY_HANG}
)
FAULTS = 6
SHORT = Options(
    seed=13,
    duration=20.0,
    plan=Plan(kills=1, others=1, gap=(1.0, 3.0), hold=(2.0, 4.0)),
    kinds=SHORT_KINDS,
    max_faults=FAULTS,
    clients_per_group=2,
    min_events=500,
    recovery_limit=60.0,
    settle_limit=120.0,
    artifacts=REPO_ROOT / "test-artifacts" / "faults" / "short",
    log_dir=REPO_ROOT / "test-artifacts" / "faults" / "short" / "logs",
)


def test_a_short_seeded_fault_run_loses_duplicates_and_reorders_nothing() -> None:
    started = time.monotonic()
    outcome = run(SHORT, progress=print)
    verdict = outcome.verdict
    write_json(verdict, outcome.report, SHORT.artifacts)
    print(table(verdict))
    print(problems(verdict))
    struck = [row for name, row in verdict.rows.items() if name != NO_FAULT]
    assert sum(row.injected for row in struck) == FAULTS, outcome.failures
    # Commands were acknowledged while the faults struck: the check had something to hold.
    assert sum(row.acknowledged for row in struck) > 0
    assert verdict.total("lost") == 0, problems(verdict)
    assert verdict.total("duplicated") == 0, problems(verdict)
    assert verdict.total("out_of_order") == 0, problems(verdict)
    assert verdict.total("phantom") == 0, problems(verdict)
    assert verdict.rebuild_differences == []
    assert outcome.failures == []
    assert all(row.not_recovered == 0 for row in struck), table(verdict)
    print(f"short fault run: {time.monotonic() - started:.0f} s")
