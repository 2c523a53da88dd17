"""Blue/green rebuilds (chassis.blue_green) against a real PostgreSQL and broker: the live
projection serves and consumes throughout, the switch loses and repeats nothing, readers never
find the table missing or empty, and a rebuild that fails leaves the live tables as they were."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from chassis.blue_green import rebuild_blue_green
from chassis.event_store import DbConnection, PostgresEventStore, create_pool
from chassis.kafka_wire import decode_event, ensure_topics
from chassis.projector import Projection, Projector
from chassis.rebuild_progress import RebuildProgress
from chassis.tests.test_projector import (
    everything,
    publish_everything,
    stored_events,
    totals_projector,
)
from chassis.tests.waiting import wait_for
from contracts.envelope import EventEnvelope
from deploy.test_infrastructure import TestInfrastructure


async def dressed_totals(pool: asyncpg.Pool) -> Projector:
    """The totals projection, its table given what a rebuild must carry over: an index named
    by hand, a trigger (counting updates) and a grant."""
    projector = await totals_projector(pool)
    await pool.execute(
        "ALTER TABLE totals ADD COLUMN touched int NOT NULL DEFAULT 0;"
        " CREATE INDEX totals_by_total ON totals (total);"
        " CREATE FUNCTION touch_totals() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN NEW.touched := OLD.touched + 1; RETURN NEW; END $$;"
        " CREATE TRIGGER totals_touched BEFORE UPDATE ON totals"
        " FOR EACH ROW EXECUTE FUNCTION touch_totals();"
        " GRANT SELECT ON totals TO PUBLIC"
    )
    return projector


async def expected(pool: asyncpg.Pool) -> list[tuple[object, ...]]:
    """What a live-only run makes of every stored event: per stream the sum, the count, the
    last event and the updates."""
    rows = await pool.fetch(
        "SELECT stream_id, sum((payload->>'n')::bigint)::bigint, count(*)::int,"
        " (array_agg(event_id ORDER BY stream_version DESC))[1], count(*)::int - 1"
        " FROM events GROUP BY stream_id"
    )
    return sorted(tuple(row.values()) for row in rows)


async def table_facts(pool: asyncpg.Pool) -> dict[str, object]:
    return {
        "indexes": sorted(
            r[0]
            for r in await pool.fetch("SELECT indexname FROM pg_indexes WHERE tablename = 'totals'")
        ),
        "triggers": [
            r[0]
            for r in await pool.fetch(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.totals'::regclass"
                " AND NOT tgisinternal"
            )
        ],
        "acl": await pool.fetchval(
            "SELECT relacl::text FROM pg_class WHERE oid = 'public.totals'::regclass"
        ),
    }


async def leftover_schemas(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'")
    return [row[0] for row in rows]


@contextlib.asynccontextmanager
async def live_consumer(
    bootstrap: str, topic: str, projector: Projector
) -> AsyncIterator[list[int]]:
    """A group consumer applying batches to the live tables until the block ends; yields the
    running count of events it applied."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"live-{uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    applied = [0]

    async def consume() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            items = [(topic, decode_event(m.value)) for ms in batch.values() for m in ms]
            applied[0] += await projector.handle_batch(items)
            if batch:
                await consumer.commit()

    consuming = asyncio.create_task(consume())
    try:
        yield applied
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        await consumer.stop()


async def published_history(
    store: PostgresEventStore,
    pool: asyncpg.Pool,
    bootstrap: str,
    events: int,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[str, Projector, dict[str, object]]:
    """`events` stored and published on a topic of their own, the dressed totals table made,
    and replays cut into many small batches; returns the topic, the live projector and the
    table's facts."""
    topic = f"test.blue-green.{uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    live = await dressed_totals(pool)
    facts = await table_facts(pool)
    await stored_events(store, events)
    await publish_everything(store, bootstrap, topic, "blue-green", batch_size=50)
    monkeypatch.setattr("chassis.rebuild.REPLAY_BATCH", 20)  # a replay of many batches
    return topic, live, facts


async def applied_at_least(applied: list[int], count: int) -> bool:
    return applied[0] >= count


async def events_at_least(pool: asyncpg.Pool, count: int) -> bool:
    events: int = await pool.fetchval("SELECT coalesce(sum(events), 0) FROM totals")
    return events >= count


async def test_a_rebuild_beside_the_live_projection_switches_without_loss_or_repeat(
    store: PostgresEventStore,
    database: str,
    pool: asyncpg.Pool,
    infrastructure: TestInfrastructure,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events keep coming and the live consumer keeps applying them throughout the rebuild;
    readers query all along. At the end the rows equal a live-only run's, the tracking rows
    equal each stream's last version, and the table keeps its index names, trigger and grant."""
    bootstrap = infrastructure.kafka_bootstrap
    topic, live, facts = await published_history(store, pool, bootstrap, 300, monkeypatch)
    readers = await create_pool(database, max_size=3)
    read_counts: list[int] = []
    try:
        async with live_consumer(bootstrap, topic, live) as applied:
            assert await wait_for(lambda: applied_at_least(applied, 300), 30)
            # A statement prepared on the live table before the switch, used after it.
            prepared_on = await readers.acquire()
            statement = await prepared_on.prepare("SELECT count(*) FROM totals")
            assert await statement.fetchval() == 3

            async def write_more() -> None:
                for _ in range(5):
                    await stored_events(store, 30)
                    await publish_everything(store, bootstrap, topic, "blue-green", 25)
                    await asyncio.sleep(0.2)

            async def read_all_along() -> None:
                while True:
                    read_counts.append(await readers.fetchval("SELECT count(*) FROM totals"))

            writing = asyncio.create_task(write_more())
            reading = asyncio.create_task(read_all_along())
            with RebuildProgress("totals", terminal=False) as progress:
                read = await rebuild_blue_green(
                    database, live.projection, bootstrap, [topic], progress=progress
                )
            await writing
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            assert await statement.fetchval() == 3  # the new table, through the old statement
            await readers.release(prepared_on)
            assert read >= 300
            assert progress.done == read and progress.total >= read
            assert await wait_for(lambda: events_at_least(pool, 450), 30)
    finally:
        await readers.close()
    rows = await pool.fetch("SELECT stream_id, total, events, last_event, touched FROM totals")
    assert sorted(tuple(r.values()) for r in rows) == await expected(pool)
    tracked = await pool.fetch(
        "SELECT stream_id, stream_version FROM projection_tracking WHERE projection = 'totals'"
    )
    assert sorted(tuple(r.values()) for r in tracked) == [("s0", 150), ("s1", 150), ("s2", 150)]
    assert read_counts and min(read_counts) == 3, "a reader found the table empty"
    assert await table_facts(pool) == facts
    assert await leftover_schemas(pool) == []


async def failing_totals(pool: asyncpg.Pool, fail_on: int) -> Projection:
    """The totals projection with a handler that fails on one event: a rebuild of it fails
    midway, after writing many batches to the new tables."""
    healthy = (await totals_projector(pool)).projection

    async def add(connection: DbConnection, event: EventEnvelope) -> None:
        if event.payload["n"] == fail_on:
            raise RuntimeError("the projection failed midway")
        await healthy.handlers["Noted"](connection, event)

    return Projection(healthy.name, healthy.tables, {"Noted": add})


async def test_a_rebuild_that_fails_is_cancelled_or_cannot_switch_leaves_the_live_tables(
    store: PostgresEventStore,
    database: str,
    pool: asyncpg.Pool,
    infrastructure: TestInfrastructure,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic, live, facts = await published_history(store, pool, bootstrap, 200, monkeypatch)
    async with live_consumer(bootstrap, topic, live) as applied:
        assert await wait_for(lambda: applied_at_least(applied, 200), 30)
    before = await everything(pool)

    with pytest.raises(RuntimeError, match="failed midway"):
        await rebuild_blue_green(
            database, await failing_totals(pool, fail_on=150), bootstrap, [topic]
        )
    assert await everything(pool) == before
    assert await leftover_schemas(pool) == []

    class CancelMidway(RebuildProgress):
        def update(self, done: int, total: int) -> None:
            super().update(done, total)
            if done >= 100:
                rebuilding.cancel()

    with CancelMidway("totals", terminal=False) as progress:
        rebuilding = asyncio.create_task(
            rebuild_blue_green(database, live.projection, bootstrap, [topic], progress=progress)
        )
        with pytest.raises(asyncio.CancelledError):
            await rebuilding
    assert 100 <= progress.done < 200
    assert await everything(pool) == before
    assert await table_facts(pool) == facts
    assert await leftover_schemas(pool) == []

    # A session that keeps the live table locked: the switch gives up rather than queue
    # readers behind it for long, and the rebuild fails with the live tables kept.
    monkeypatch.setattr("chassis.blue_green.SWITCH_LOCK_TIMEOUT", 0.2)
    monkeypatch.setattr("chassis.blue_green.SWITCH_ATTEMPTS", 2)
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("LOCK TABLE totals IN ACCESS SHARE MODE")
        with pytest.raises(asyncpg.LockNotAvailableError):
            await rebuild_blue_green(database, live.projection, bootstrap, [topic])
    assert await everything(pool) == before
    assert await table_facts(pool) == facts
    assert await leftover_schemas(pool) == []
