"""A poison event through the running system (decision 0027): an admitted event of a newer
schema version than the consumers read holds back only its path, with the path's later events
parked behind it; every consumer group keeps going for other paths, readiness shows the held
stream and stays ready, and nothing retries in a loop.

Enrolment's own topic carries the events, written with a raw producer at the path's next
versions, as enrolment's next release would write them (tests/security/test_forged_events.py
shows the writing; there the events are refused, here they are admitted).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from contracts.envelope import EventEnvelope
from contracts.events.enrolment import PathwayPaused, PathwayResumed
from contracts.topics import ENROLMENT_EVENTS
from deploy.system import RunningSystem
from tests.security.test_forged_events import (
    _envelope,
    forge,
    open_a_path,
    rows,
    store_version,
    wait_until_applied,
)
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

NEWER = 99  # a schema version no consumer here knows


def _log_lines(system: RunningSystem, service: str) -> list[dict[str, Any]]:
    lines = system.log_of(service).read_text(encoding="utf-8", errors="replace").splitlines()
    found = []
    for line in lines:
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def _count(system: RunningSystem, service: str, event: str, **fields: object) -> int:
    return sum(
        1
        for line in _log_lines(system, service)
        if line.get("event") == event and all(line.get(k) == v for k, v in fields.items())
    )


def _held(system: RunningSystem, service: str, pathway_id: str) -> list[tuple[str, int, str]]:
    found = rows(
        system,
        service,
        "SELECT consumer, stream_version, reason FROM dead_letters WHERE stream_id = $1"
        " ORDER BY consumer, stream_version",
        pathway_id,
    )
    return [(r["consumer"], r["stream_version"], r["reason"]) for r in found]


def _holding(
    system: RunningSystem, service: str, pathway_id: str, held: list[tuple[str, int, str]]
) -> Callable[[], bool | None]:
    return lambda: _held(system, service, pathway_id) == held or None


def _newer_pause(pathway_id: str, version: int) -> EventEnvelope:
    current = _envelope(
        PathwayPaused(pathway_id=UUID(pathway_id), paused_on=date.today()),
        UUID(pathway_id),
        version,
    )
    return current.model_copy(
        update={
            "schema_version": NEWER,
            "payload": {**current.payload, "expected_return": "soon"},
        }
    )


def test_a_newer_version_holds_back_only_its_path_and_the_groups_go_on(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    counselor = identities.staff("counselor")
    held_path, _, _ = open_a_path(system, counselor, identities.client())
    version = store_version(system, "enrolment", held_path)
    for consumer in ("tasks", "guidance"):
        wait_until_applied(system, consumer, ENROLMENT_EVENTS, held_path, version)
    failures_before = {
        service: _count(system, service, "event handling failed")
        for service in ("tasks", "guidance", "reporting")
    }

    poison = forge(system, ENROLMENT_EVENTS, _newer_pause(held_path, version + 1))
    behind = forge(
        system,
        ENROLMENT_EVENTS,
        _envelope(
            PathwayResumed(pathway_id=UUID(held_path), resumed_on=date.today()),
            UUID(held_path),
            version + 2,
        ),
    )
    # Other paths go on in every consumer group, the policies included (tasks starts a plan).
    other_path, _, _ = open_a_path(system, counselor, identities.client())
    for consumer in ("tasks", "guidance"):
        wait_until_applied(
            system,
            consumer,
            ENROLMENT_EVENTS,
            other_path,
            store_version(system, "enrolment", other_path),
        )

    reason = f"unknown version: PathwayPaused v{NEWER} cannot be read as v1"
    expected = {
        "guidance": [("caseload", version + 1, reason), ("caseload", version + 2, "parked")],
        "tasks": [
            ("tasks-reactions", version + 1, reason),
            ("tasks-reactions", version + 2, "parked"),
            ("tasks_plan_pauses", version + 1, reason),
            ("tasks_plan_pauses", version + 2, "parked"),
        ],
    }
    for service, held in expected.items():
        with contextlib.suppress(AssertionError):  # the comparison below shows what differs
            eventually(
                _holding(system, service, held_path, held),
                what=f"{service} holds the path back behind the newer event",
            )
        assert _held(system, service, held_path) == held
        ready = httpx.get(f"{system.urls[service]}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        counts = ready.json()["details"]["dead_lettered_streams"]
        for consumer in {consumer for consumer, _, _ in held}:
            assert counts[consumer] >= 1, counts
    # The genuine state stays as it was: the path is not shown paused from a guess.
    assert not rows(
        system, "tasks", "SELECT 1 FROM plan_pauses WHERE pathway_id = $1", UUID(held_path)
    )

    # No loop: one warning per consumer for the new dead letter, none for the parked event,
    # and no failed batch being retried, however long we wait.
    time.sleep(3)
    for service, held in expected.items():
        for consumer in {consumer for consumer, _, _ in held}:
            assert (
                _count(
                    system,
                    service,
                    "event dead-lettered: its stream is held back",
                    consumer=consumer,
                    event_id=str(poison.event_id),
                )
                == 1
            )
        assert (
            _count(
                system,
                service,
                "event dead-lettered: its stream is held back",
                event_id=str(behind.event_id),
            )
            == 0
        )
    for service, before in failures_before.items():
        assert _count(system, service, "event handling failed") == before, service
