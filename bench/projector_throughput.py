"""Projector throughput: events per second from Kafka into a read model, one transaction per
event and one per fetched batch (as the services consume), against reading and decoding the
same messages without applying them (the consumer's own ceiling)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.shape import Result
from bench.store_append import envelopes
from chassis.event_store import DbConnection, PostgresEventStore, create_pool
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.projector import Projection, Projector
from chassis.relay import Relay, event_messages
from contracts.envelope import EventEnvelope

# Records per fetch: what the services' batch consumer takes at most (chassis.service).
FETCH_RECORDS = 500

Batch = list[tuple[str, EventEnvelope]]


async def _fill_topic(dsn: str, bootstrap: str, topic: str, aggregates: int) -> int:
    pool = await create_pool(dsn, max_size=4)
    store = PostgresEventStore(pool)
    for aggregate in range(aggregates):
        await store.append(envelopes(aggregate), expected_version=0)
    await ensure_topics(bootstrap, [topic])
    producer = event_producer(bootstrap)
    await producer.start()
    relay = Relay(store, producer, event_messages(lambda s: [topic]), name="bench", batch_size=1000)
    while await relay.publish_batch():
        pass
    await producer.stop()
    await pool.close()
    return relay.published


async def _consume(
    bootstrap: str, topic: str, expected: int, on_batch: Callable[[Batch], Awaitable[None]]
) -> float:
    """Seconds to read the topic from the start, handing each fetched batch to `on_batch`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=FETCH_RECORDS,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = 0
        started = time.perf_counter()
        while seen < expected:
            fetched = await consumer.getmany(timeout_ms=1000)
            batch = [
                (topic, decode_event(message.value))
                for messages in fetched.values()
                for message in messages
            ]
            await on_batch(batch)
            seen += len(batch)
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def _answers_projector(pool: asyncpg.Pool, name: str) -> Projector:
    """A read model counting answers and their characters per stream, in a table of its own."""
    table = f"bench_answers_{name}"
    await pool.execute(
        f"CREATE TABLE {table} (stream_id text PRIMARY KEY,"
        " answers int NOT NULL, characters bigint NOT NULL)"
    )

    async def count_answer(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute(
            f"INSERT INTO {table} VALUES ($1, 1, $2) ON CONFLICT (stream_id) DO UPDATE"
            f" SET answers = {table}.answers + 1, characters = {table}.characters + $2",
            event.stream_id,
            event.payload["answer_length"],
        )

    return Projector(pool, Projection(name, [table], {"TaskAnswered": count_answer}))


async def _time_projector(
    pool: asyncpg.Pool, bootstrap: str, topic: str, count: int, batched: bool
) -> float:
    name = "batched" if batched else "per_event"
    projector = await _answers_projector(pool, name)

    async def project(batch: Batch) -> None:
        if batched:
            await projector.handle_batch(batch)
            return
        for source, event in batch:
            await projector.handle(source, event)

    seconds = await _consume(bootstrap, topic, count, project)
    applied = await pool.fetchval(f"SELECT sum(answers) FROM bench_answers_{name}")
    assert applied == count, f"{name}: projected {applied} of {count}"
    return seconds


async def run_projectors(
    dsn: str, bootstrap: str, aggregates: int, per_event: bool = True
) -> list[Result]:
    """Consume-only, the projector with one transaction per event (unless `per_event` is
    False), and the projector with one per fetched batch, over the same topic."""
    topic = f"bench.projector.{uuid4().hex[:8]}"
    count = await _fill_topic(dsn, bootstrap, topic, aggregates)

    async def decode_only(batch: Batch) -> None:
        return None

    baseline = await _consume(bootstrap, topic, count, decode_only)
    results = [Result("consume + decode only", 1, count, baseline)]
    pool = await create_pool(dsn, max_size=2)
    try:
        if per_event:
            seconds = await _time_projector(pool, bootstrap, topic, count, batched=False)
            results.append(Result("projector (one tx per event)", 1, count, seconds))
        seconds = await _time_projector(pool, bootstrap, topic, count, batched=True)
        results.append(Result(f"projector (batches of <={FETCH_RECORDS})", 1, count, seconds))
    finally:
        await pool.close()
    return results
