"""The workload every contender runs: aggregates of 10 events, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

EVENTS_PER_AGGREGATE = 10


def payload(aggregate: int, index: int) -> dict[str, Any]:
    """About the size of a PathwayOpened or TaskAnswered payload."""
    return {
        "pathway_id": str(uuid4()),
        "client_ref": f"c-{aggregate:032d}",
        "task_id": f"w{index % 12 + 1:02d}-t{index % 3 + 1}",
        "week": index % 12 + 1,
        "answer_length": 120 + index,
    }


@dataclass(frozen=True)
class Result:
    contender: str
    writers: int
    events: int
    seconds: float
    # CPU seconds per part (this process, PostgreSQL, the broker) over the run, where measured.
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


# What a throwaway system for page benchmarks runs with beyond `start_system`'s development
# defaults: every request comes from one address, so the rate limits are lifted; and the
# monthly statistics are worked out every 300 s as in production, not every 2 s as for the
# simulated clock, which at 10,000 paths would take a large share of reporting's processor.
BENCH_SYSTEM_ENV = {
    "DIGIPOLKU_RATE_LIMIT_SIGN_IN": "100000/minute",
    "DIGIPOLKU_RATE_LIMIT_WRITES": "100000/minute",
    "DIGIPOLKU_STATISTICS_SECONDS": "300",
}
