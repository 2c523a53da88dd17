"""Upcasters: pure functions that turn one version of an event's payload into the next.

Events are immutable and replayed for years; a schema change is a new version plus an
upcaster, applied on read, never an edit of stored events. Steps are keyed by
`(event_type, from_version)` and each lifts a payload by exactly one version; `upcast` applies
the chain from the stored version up to the newest version that has no further step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
UpcastStep = Callable[[Payload], Payload]

NO_COHORT = "ei-kohorttia"
"""The cohort of a path opened before cohorts existed (PathwayOpened v1)."""


class Upcaster:
    """A registry of upcast steps keyed by `(event_type, from_version)`."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], UpcastStep] = {}

    def add(self, event_type: str, from_version: int, step: UpcastStep) -> None:
        """Register `step`, which turns `from_version` into `from_version + 1`."""
        if from_version < 1:
            raise ValueError(f"schema versions start at 1, not {from_version}")
        key = (event_type, from_version)
        if key in self._steps:
            raise ValueError(f"{event_type} v{from_version} already has an upcaster")
        self._steps[key] = step

    def register(self, event_type: str, from_version: int) -> Callable[[UpcastStep], UpcastStep]:
        """Decorator form of `add`."""

        def register(step: UpcastStep) -> UpcastStep:
            self.add(event_type, from_version, step)
            return step

        return register

    def has(self, event_type: str, version: int) -> bool:
        """Whether a step lifts `event_type` from `version` to the next version."""
        return (event_type, version) in self._steps

    def upcast(self, event_type: str, version: int, payload: Payload) -> tuple[int, Payload]:
        """Apply every step from `version` on; returns the reached version and its payload.

        The caller's payload is never changed: each step gets its own deep copy.
        """
        while (step := self._steps.get((event_type, version))) is not None:
            payload = step(copy.deepcopy(payload))
            version += 1
        return version, payload


UPCASTERS = Upcaster()
"""The registry every reader of Digipolku events uses."""

upcaster = UPCASTERS.register


def upcast(event_type: str, version: int, payload: Payload) -> tuple[int, Payload]:
    """Lift a stored payload to the newest version with the default registry."""
    return UPCASTERS.upcast(event_type, version, payload)


def has_upcaster(event_type: str, version: int) -> bool:
    return UPCASTERS.has(event_type, version)


@upcaster("PathwayOpened", 1)
def pathway_opened_v1_to_v2(payload: Payload) -> Payload:
    """v1 had one `counselor_id` and no cohort; v2 has `counselor_ids` and a cohort."""
    v2 = {key: value for key, value in payload.items() if key != "counselor_id"}
    v2["counselor_ids"] = [payload["counselor_id"]]
    v2["cohort"] = payload.get("cohort") or NO_COHORT
    return v2
