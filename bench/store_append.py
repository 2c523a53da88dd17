"""Our event store's appends, plain asyncpg inserts of the same rows, and COPY of them: the
physical ceiling of writing these rows to this PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from itertools import chain
from typing import TypeVar
from uuid import uuid4

import asyncpg

from bench.shape import EVENTS_PER_AGGREGATE, Result, payload
from chassis.event_store import DbConnection, PostgresEventStore, create_pool
from contracts.envelope import Actor, EventEnvelope, utc_now

ACTOR = Actor(role="system", id="bench")
_T = TypeVar("_T")


def envelopes(aggregate: int) -> list[EventEnvelope]:
    stream_id = str(uuid4())
    correlation_id = uuid4()
    return [
        EventEnvelope(
            event_type="TaskAnswered",
            schema_version=1,
            stream_id=stream_id,
            stream_version=index + 1,
            occurred_at=utc_now(),
            tenant="kanta-hame",
            correlation_id=correlation_id,
            actor=ACTOR,
            payload=payload(aggregate, index),
        )
        for index in range(EVENTS_PER_AGGREGATE)
    ]


async def _split(
    batches: list[_T], writers: int, write_one: Callable[[_T], Awaitable[None]]
) -> float:
    """Time `writers` concurrent tasks writing the prepared batches (round robin)."""

    async def writer(first: int) -> None:
        for batch in batches[first::writers]:
            await write_one(batch)

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


async def run_ours(dsn: str, aggregates: int, writers: int) -> Result:
    pool = await create_pool(dsn, min_size=writers, max_size=writers)
    store = PostgresEventStore(pool)

    async def write_one(batch: list[EventEnvelope]) -> None:
        await store.append(batch, expected_version=0)

    # Records are built before the clock starts, for every contender alike.
    warm_up = [envelopes(a) for a in range(max(20, aggregates // 20))]
    batches = [envelopes(a) for a in range(aggregates)]
    try:
        await _split(warm_up, writers, write_one)
        seconds = await _split(batches, writers, write_one)
    finally:
        await pool.close()
    return Result("digipolku store", writers, aggregates * EVENTS_PER_AGGREGATE, seconds)


RAW_TABLE = """
CREATE TABLE IF NOT EXISTS raw_events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL, stream_id text NOT NULL, stream_version integer NOT NULL,
    event_type text NOT NULL, schema_version integer NOT NULL, occurred_at timestamptz NOT NULL,
    tenant text NOT NULL, correlation_id uuid NOT NULL, actor jsonb NOT NULL,
    payload jsonb NOT NULL, UNIQUE (stream_id, stream_version))
"""
RAW_INSERT = (
    "INSERT INTO raw_events (event_id, stream_id, stream_version, event_type, schema_version,"
    " occurred_at, tenant, correlation_id, actor, payload)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)"
)
RAW_COLUMNS = (
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "occurred_at",
    "tenant",
    "correlation_id",
    "actor",
    "payload",
)
RawRow = tuple[object, ...]


def raw_rows(aggregate: int) -> list[RawRow]:
    return [
        (
            e.event_id,
            e.stream_id,
            e.stream_version,
            e.event_type,
            e.schema_version,
            e.occurred_at,
            e.tenant,
            e.correlation_id,
            json.dumps(e.actor.model_dump()),
            json.dumps(e.payload),
        )
        for e in envelopes(aggregate)
    ]


async def _insert(connection: DbConnection, rows: list[RawRow]) -> None:
    await connection.executemany(RAW_INSERT, rows)


async def _copy(connection: DbConnection, rows: list[RawRow]) -> None:
    await connection.copy_records_to_table("raw_events", records=rows, columns=RAW_COLUMNS)


async def run_raw(dsn: str, aggregates: int, writers: int) -> Result:
    """The same rows with executemany in one transaction per aggregate: no checks at all."""
    return await _run_plain(dsn, aggregates, writers, _insert, "plain asyncpg")


async def run_copy(dsn: str, aggregates: int, writers: int) -> Result:
    """The same rows by COPY, each writer's share in one transaction: the fastest way this
    PostgreSQL takes them, free of the commit per aggregate that every contender above pays
    for durability, so the store's share of it is its share of the physical limit."""
    return await _run_plain(dsn, aggregates, writers, _copy, "COPY (the ceiling)", writers)


async def _run_plain(
    dsn: str,
    aggregates: int,
    writers: int,
    write: Callable[[DbConnection, list[RawRow]], Awaitable[None]],
    contender: str,
    transactions: int | None = None,
) -> Result:
    """`transactions`: the rows in that many transactions instead of one per aggregate."""
    pool = await asyncpg.create_pool(dsn, min_size=writers, max_size=writers)
    assert pool is not None
    await pool.execute(RAW_TABLE)

    async def write_one(rows: list[RawRow]) -> None:
        async with pool.acquire() as connection, connection.transaction():
            await write(connection, rows)

    warm_up = [raw_rows(a) for a in range(max(20, aggregates // 20))]
    batches = [raw_rows(a) for a in range(aggregates)]
    if transactions is not None:
        batches = [list(chain(*batches[part::transactions])) for part in range(transactions)]
    try:
        await _split(warm_up, writers, write_one)
        seconds = await _split(batches, writers, write_one)
    finally:
        await pool.close()
    return Result(contender, writers, aggregates * EVENTS_PER_AGGREGATE, seconds)
