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
