"""Poison events (decision 0027): an event a projection cannot read holds back only its stream,
kept in the dead-letter table with the later events of its stream, and is applied in order
once the projection can read it; an event type it does not handle is skipped and counted."""

from __future__ import annotations

from typing import ClassVar
from uuid import uuid4

import asyncpg

from chassis.event_store import DbConnection
from chassis.projector import (
    SKIPPED_EVENTS,
    Decoded,
    Projection,
    Projector,
    batched,
    typed,
)
from chassis.tests.factories import envelope
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from contracts.upcasting import Upcaster


class Noted(EventModel):
    n: int


class NotedV2(EventModel):
    """The next version, as an upgraded service knows it."""

    event_type: ClassVar[str] = "Noted"
    schema_version: ClassVar[int] = 2
    n: int
    unit: str


def lifted() -> Upcaster:
    upcaster = Upcaster()
    upcaster.add("Noted", 1, lambda payload: {**payload, "unit": "kpl"})
    return upcaster


async def noted_table(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS noted (stream_id text, version int, n int, unit text,"
        " PRIMARY KEY (stream_id, version))"
    )


async def _v1(connection: DbConnection, event: EventEnvelope, noted: Noted) -> None:
    await connection.execute(
        "INSERT INTO noted VALUES ($1, $2, $3, NULL)",
        event.stream_id,
        event.stream_version,
        noted.n,
    )


async def _v2(connection: DbConnection, event: EventEnvelope, noted: NotedV2) -> None:
    await connection.execute(
        "INSERT INTO noted VALUES ($1, $2, $3, $4)",
        event.stream_id,
        event.stream_version,
        noted.n,
        noted.unit,
    )


def today(pool: asyncpg.Pool) -> Projector:
    """A projection that reads Noted v1 only."""
    return Projector(pool, Projection("noted", ["noted"], dict([typed(Noted, _v1)])))


def upgraded(pool: asyncpg.Pool) -> Projector:
    """The same projection after an upgrade: it reads v2, and v1 through an upcaster."""
    return Projector(
        pool, Projection("noted", ["noted"], dict([typed(NotedV2, _v2, upcaster=lifted())]))
    )


def event(
    stream: str, version: int, n: int, schema_version: int = 1, **payload: object
) -> EventEnvelope:
    return envelope(stream, payload={"n": n, **payload}, schema_version=schema_version).model_copy(
        update={"stream_version": version}
    )


async def noted(pool: asyncpg.Pool) -> list[tuple[str, int, int, str | None]]:
    rows = await pool.fetch("SELECT * FROM noted ORDER BY stream_id, version")
    return [(r["stream_id"], r["version"], r["n"], r["unit"]) for r in rows]


async def dead_letters(pool: asyncpg.Pool) -> list[tuple[str, int, str, int]]:
    rows = await pool.fetch(
        "SELECT stream_id, stream_version, reason, attempts FROM dead_letters"
        " WHERE consumer = 'noted' ORDER BY stream_id, stream_version"
    )
    return [(r["stream_id"], r["stream_version"], r["reason"], r["attempts"]) for r in rows]


async def tracked(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT stream_id, stream_version FROM projection_tracking WHERE projection = 'noted'"
    )
    return {r["stream_id"]: r["stream_version"] for r in rows}


async def test_a_newer_version_holds_back_only_its_stream(pool: asyncpg.Pool) -> None:
    await noted_table(pool)
    projector = today(pool)
    batch = [
        ("t", event("a", 1, 1)),
        ("t", event("b", 1, 10)),
        ("t", event("a", 2, 2, schema_version=2, unit="h")),  # no upcaster knows v2 here
        ("t", event("b", 2, 11)),
        ("t", event("a", 3, 3)),  # readable, but after the one that is not: parked
        ("t", event("b", 3, 12)),
    ]
    assert await projector.handle_batch(batch) == 4
    assert await noted(pool) == [
        ("a", 1, 1, None),
        ("b", 1, 10, None),
        ("b", 2, 11, None),
        ("b", 3, 12, None),
    ]
    assert await tracked(pool) == {"a": 1, "b": 3}
    assert await dead_letters(pool) == [
        ("a", 2, "unknown version: Noted v2 cannot be read as v1", 1),
        ("a", 3, "parked", 1),
    ]
    kept = await pool.fetchrow(
        "SELECT source, event_id, event_type, schema_version, envelope::text AS envelope,"
        " first_seen <= last_seen AS seen_in_order FROM dead_letters WHERE stream_version = 2"
    )
    assert kept is not None
    assert (kept["source"], kept["event_type"], kept["schema_version"]) == ("t", "Noted", 2)
    assert kept["event_id"] == batch[2][1].event_id
    assert EventEnvelope.model_validate_json(kept["envelope"]) == batch[2][1]
    assert kept["seen_in_order"]

    # Delivered again (the offsets were committed, but a rebalance can redeliver): the rows
    # count an attempt, nothing is applied twice, and a later event is parked too.
    assert await projector.handle_batch([*batch, ("t", event("a", 4, 4))]) == 0
    assert await dead_letters(pool) == [
        ("a", 2, "unknown version: Noted v2 cannot be read as v1", 2),
        ("a", 3, "parked", 2),
        ("a", 4, "parked", 1),
    ]
    # Trying again before an upgrade changes nothing but the attempt count.
    assert await projector.retry_held() == 0
    assert (await dead_letters(pool))[0][3] == 3
    assert await tracked(pool) == {"a": 1, "b": 3}


async def test_after_an_upgrade_the_parked_events_are_applied_in_order_once(
    pool: asyncpg.Pool,
) -> None:
    await noted_table(pool)
    batch = [
        ("t", event("a", 1, 1)),
        ("t", event("a", 2, 2, schema_version=2, unit="h")),
        ("t", event("a", 3, 3)),
        ("t", event("a", 4, 4, schema_version=2, unit="min")),
    ]
    assert await today(pool).handle_batch(batch) == 1
    assert len(await dead_letters(pool)) == 3

    better = upgraded(pool)
    assert await better.retry_held() == 3
    assert await noted(pool) == [
        ("a", 1, 1, None),
        ("a", 2, 2, "h"),
        ("a", 3, 3, "kpl"),
        ("a", 4, 4, "min"),
    ]
    assert await dead_letters(pool) == []
    assert await tracked(pool) == {"a": 4}
    # Exactly once: another try and a redelivery of the whole stream apply nothing.
    assert await better.retry_held() == 0
    assert await better.handle_batch(batch) == 0
    assert len(await noted(pool)) == 4
    # And the stream goes on live.
    assert await better.handle_batch([("t", event("a", 5, 5, schema_version=2, unit="d"))]) == 1


async def test_a_broken_payload_is_dead_lettered_with_where_it_failed(pool: asyncpg.Pool) -> None:
    await noted_table(pool)
    projector = today(pool)
    broken = event("c", 1, 0).model_copy(update={"payload": {"n": "many", "secret": "x"}})
    assert await projector.handle_batch([("t", broken), ("t", event("d", 1, 7))]) == 1
    ((stream, version, reason, attempts),) = await dead_letters(pool)
    assert (stream, version, attempts) == ("c", 1, 1)
    assert reason.startswith("invalid payload: n: int_parsing; secret: extra_forbidden")
    assert "many" not in reason  # where and what kind, never the input itself


async def test_an_unhandled_type_is_skipped_counted_and_its_version_recorded(
    pool: asyncpg.Pool,
) -> None:
    await noted_table(pool)
    projector = today(pool)
    kind = f"Teleported{uuid4().hex[:6]}"
    counted = SKIPPED_EVENTS.labels(projection="noted", event_type=kind)
    before = counted._value.get()
    stream = [
        ("t", event("e", 1, 1)),
        ("t", envelope("e", event_type=kind).model_copy(update={"stream_version": 2})),
        ("t", event("e", 3, 3)),
    ]
    assert await projector.handle_batch(stream) == 2
    assert await tracked(pool) == {"e": 3}
    assert [row[:3] for row in await noted(pool)] == [("e", 1, 1), ("e", 3, 3)]
    assert await dead_letters(pool) == []
    assert counted._value.get() == before + 1


async def test_a_rebuild_forgets_the_dead_letters_it_will_read_again(pool: asyncpg.Pool) -> None:
    await noted_table(pool)
    projector = today(pool)
    await projector.handle_batch([("t", event("a", 1, 1, schema_version=2, unit="h"))])
    assert len(await dead_letters(pool)) == 1
    await projector.reset()
    assert await dead_letters(pool) == []


async def test_a_gap_behind_a_held_event_waits_for_the_missing_one(pool: asyncpg.Pool) -> None:
    """Parked events past a gap stay parked until the missing one comes (it is parked too)."""
    await noted_table(pool)
    await today(pool).handle_batch(
        [("t", event("g", 1, 1, schema_version=2, unit="h")), ("t", event("g", 3, 3))]
    )
    better = upgraded(pool)
    assert await better.retry_held() == 1  # v1 only: v2 has not come
    assert [row[1] for row in await dead_letters(pool)] == [3]
    assert ("t", "g") in better.gaps  # what the consumer's recovery check watches
    assert await better.handle_batch([("t", event("g", 2, 2))]) == 0  # parked behind
    assert await better.retry_held() == 2
    assert [row[1] for row in await noted(pool)] == [1, 2, 3]
    assert await dead_letters(pool) == []
    assert not better.gaps


async def test_a_projection_that_writes_batches_gets_the_same_events_in_the_same_order(
    pool: asyncpg.Pool,
) -> None:
    """apply_batch (issue 15): the projector still decides per stream what is next, held or
    a repeat, and hands the batch writer those events in delivery order, once."""
    await noted_table(pool)
    calls: list[list[tuple[str, int]]] = []

    async def write(connection: DbConnection, events: Decoded) -> None:
        calls.append([(e.stream_id, e.stream_version) for e, _ in events])
        await connection.executemany(
            "INSERT INTO noted VALUES ($1, $2, $3, $4)",
            [
                (e.stream_id, e.stream_version, getattr(n, "n", None), getattr(n, "unit", None))
                for e, n in events
            ],
        )

    def batch_projector(model: type[EventModel], upcaster: Upcaster | None = None) -> Projector:
        handlers = batched(model, upcaster=upcaster) if upcaster else batched(model)
        return Projector(pool, Projection("noted", ["noted"], handlers, apply_batch=write))

    batch = [
        ("t", event("a", 1, 1)),
        ("t", event("b", 1, 10)),
        ("t", event("a", 2, 2, schema_version=2, unit="h")),
        ("t", event("b", 1, 10)),  # a repeat
        ("t", event("a", 3, 3)),
        ("t", event("b", 3, 12)),  # a gap: held back
    ]
    assert await batch_projector(Noted).handle_batch(batch) == 2
    assert calls == [[("a", 1), ("b", 1)]]
    assert await tracked(pool) == {"a": 1, "b": 1}

    better = batch_projector(NotedV2, lifted())
    assert await better.retry_held() == 2
    assert calls[-1] == [("a", 2), ("a", 3)]  # the held stream, in order, in one batch
    assert await better.handle_batch(batch) == 0  # repeats, and b's gap still open
    assert await better.handle_batch([("t", event("b", 2, 11)), ("t", event("b", 3, 12))]) == 2
    assert calls[-1] == [("b", 2), ("b", 3)]
    assert await noted(pool) == [
        ("a", 1, 1, None),
        ("a", 2, 2, "h"),
        ("a", 3, 3, "kpl"),
        ("b", 1, 10, None),
        ("b", 2, 11, "kpl"),  # read by the upgraded projection, through its upcaster
        ("b", 3, 12, "kpl"),
    ]
    assert await tracked(pool) == {"a": 3, "b": 3}
