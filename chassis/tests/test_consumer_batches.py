"""The consumer's batch glue (chassis.consumer) against a real PostgreSQL: a policy decodes
before it reacts and holds back only the stream it cannot read (decision 0027), and a batch
that keeps failing is retried after pauses that double instead of every second."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
import pytest

from chassis.consumer import BatchConsumer
from chassis.policy import Policy, reacting
from chassis.projector import Projection, Projector
from chassis.service import ServiceRuntime
from chassis.tests.test_poison_events import Noted, NotedV2, event, lifted
from contracts.envelope import EventEnvelope


@dataclass
class Record:
    topic: str


@dataclass
class Runtime:
    """The two things the batch glue asks of a service's runtime."""

    pool: asyncpg.Pool
    projectors: list[Projector] = field(default_factory=list)

    def require_pool(self) -> asyncpg.Pool:
        return self.pool


def batch(*events: EventEnvelope) -> list[tuple[Record, EventEnvelope, dict[str, Any]]]:
    return [(Record("t"), e, {}) for e in events]


def noting(seen: list[tuple[str, int, int]]) -> Policy:
    async def note(runtime: ServiceRuntime, envelope: EventEnvelope, noted: Noted) -> None:
        seen.append((envelope.stream_id, envelope.stream_version, noted.n))

    return Policy("notes", [reacting(Noted, note)])


def noting_v2(seen: list[tuple[str, int, int]]) -> Policy:
    async def note(runtime: ServiceRuntime, envelope: EventEnvelope, noted: NotedV2) -> None:
        seen.append((envelope.stream_id, envelope.stream_version, noted.n))

    return Policy("notes", [reacting(NotedV2, note, upcaster=lifted())])


async def held_rows(pool: asyncpg.Pool) -> list[tuple[str, int, str]]:
    rows = await pool.fetch(
        "SELECT stream_id, stream_version, reason FROM dead_letters WHERE consumer = 'notes'"
        " ORDER BY stream_id, stream_version"
    )
    return [(r["stream_id"], r["stream_version"], r["reason"]) for r in rows]


async def test_a_policy_holds_back_only_the_stream_it_cannot_read(pool: asyncpg.Pool) -> None:
    runtime = Runtime(pool)
    as_runtime = cast(ServiceRuntime, runtime)
    seen: list[tuple[str, int, int]] = []
    consumer = BatchConsumer(as_runtime, noting(seen))
    await consumer.handle(
        batch(
            event("a", 1, 1),
            event("b", 1, 10),
            event("a", 2, 2, schema_version=2, unit="h"),
            event("b", 2, 11),
            event("a", 3, 3),
        )
    )
    assert seen == [("a", 1, 1), ("b", 1, 10), ("b", 2, 11)]
    assert await held_rows(pool) == [
        ("a", 2, "unknown version: Noted v2 cannot be read as v1"),
        ("a", 3, "parked"),
    ]
    # A later batch: the held stream's event is parked too, the others go on.
    await consumer.handle(batch(event("a", 4, 4), event("b", 3, 12)))
    assert seen[-1] == ("b", 3, 12)
    assert [row[1] for row in await held_rows(pool)] == [2, 3, 4]

    upgraded: list[tuple[str, int, int]] = []
    assert await noting_v2(upgraded).retry_held(as_runtime) == 3
    assert upgraded == [("a", 2, 2), ("a", 3, 3), ("a", 4, 4)]
    assert await held_rows(pool) == []
    assert await noting_v2(upgraded).retry_held(as_runtime) == 0  # once


async def test_a_failing_batch_is_retried_after_pauses_that_double(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr("chassis.consumer.asyncio.sleep", pause)

    async def broken(connection: object, envelope: EventEnvelope) -> None:
        raise RuntimeError("a bug")

    runtime = Runtime(pool, [Projector(pool, Projection("broken", [], {"Noted": broken}))])
    consumer = BatchConsumer(cast(ServiceRuntime, runtime), None)
    for _ in range(9):
        with pytest.raises(RuntimeError):
            await consumer.handle(batch(event("a", 1, 1)))
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    runtime.projectors = []
    await consumer.handle(batch(event("a", 1, 1)))  # the cause gone: the next pause is short
    runtime.projectors = [Projector(pool, Projection("broken", [], {"Noted": broken}))]
    with pytest.raises(RuntimeError):
        await consumer.handle(batch(event("a", 1, 1)))
    assert pauses[-1] == 0.5
