"""Upcasters: pure functions that turn an old version of an event's payload into the next.

Events are immutable and replayed for years; a schema change is a new version plus an
upcaster, applied on read, never an edit of stored events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
UpcastStep = Callable[[Payload], Payload]

NO_COHORT = "ei-kohorttia"

_STEPS: dict[tuple[str, int], UpcastStep] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[UpcastStep], UpcastStep]:
    """Register a step from `from_version` to `from_version + 1`."""

    def register(step: UpcastStep) -> UpcastStep:
        _STEPS[(event_type, from_version)] = step
        return step

    return register


def upcast(event_type: str, version: int, payload: Payload) -> tuple[int, Payload]:
    """Apply every registered step from `version` on; returns the new version and payload."""
    while (step := _STEPS.get((event_type, version))) is not None:
        payload = step(dict(payload))
        version += 1
    return version, payload


def has_upcaster(event_type: str, version: int) -> bool:
    return (event_type, version) in _STEPS


@upcaster("PathwayOpened", 1)
def _pathway_opened_v1_to_v2(payload: Payload) -> Payload:
    # v2 allows several counselors and groups paths into cohorts.
    payload["counselor_ids"] = [payload.pop("counselor_id")]
    payload.setdefault("cohort", NO_COHORT)
    return payload
