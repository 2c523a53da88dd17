"""Projector throughput: events per second from Kafka into a read model, against reading and
decoding the same messages without applying them (the consumer's own ceiling)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.shape import Result
from bench.store_append import envelopes
from chassis.event_store import DbConnection, PostgresEventStore, create_pool
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.projector import Projection, Projector
from chassis.relay import Relay
from contracts.envelope import EventEnvelope


async def _fill_topic(dsn: str, bootstrap: str, topic: str, aggregates: int) -> int:
    pool = await create_pool(dsn, max_size=4)
    store = PostgresEventStore(pool)
    for aggregate in range(aggregates):
        await store.append(envelopes(aggregate), expected_version=0)
    await ensure_topics(bootstrap, [topic])
    producer = event_producer(bootstrap)
    await producer.start()
    relay = Relay(store, producer, lambda s: [topic], name="bench", batch_size=1000)
    while await relay.publish_batch():
        pass
    await producer.stop()
    await pool.close()
    return relay.published


async def _consume(
    bootstrap: str, topic: str, expected: int, on_event: Callable[[EventEnvelope], Awaitable[None]]
) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=2000,
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
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                for message in messages:
                    await on_event(decode_event(message.value))
                    seen += 1
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def run_projector(dsn: str, bootstrap: str, aggregates: int) -> tuple[Result, Result]:
    topic = f"bench.projector.{uuid4().hex[:8]}"
    count = await _fill_topic(dsn, bootstrap, topic, aggregates)

    async def decode_only(event: EventEnvelope) -> None:
        return None

    baseline = await _consume(bootstrap, topic, count, decode_only)

    pool = await create_pool(dsn, max_size=2)
    await pool.execute(
        "CREATE TABLE bench_answers (stream_id text PRIMARY KEY,"
        " answers int NOT NULL, characters bigint NOT NULL)"
    )

    async def count_answer(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute(
            "INSERT INTO bench_answers VALUES ($1, 1, $2) ON CONFLICT (stream_id) DO UPDATE"
            " SET answers = bench_answers.answers + 1,"
            " characters = bench_answers.characters + $2",
            event.stream_id,
            event.payload["answer_length"],
        )

    projector = Projector(
        pool, Projection("bench", ["bench_answers"], {"TaskAnswered": count_answer})
    )

    async def project(event: EventEnvelope) -> None:
        await projector.handle(topic, event)

    try:
        seconds = await _consume(bootstrap, topic, count, project)
        applied = await pool.fetchval("SELECT sum(answers) FROM bench_answers")
        assert applied == count, f"projected {applied} of {count}"
    finally:
        await pool.close()
    return (
        Result("consume + decode only", 1, count, baseline),
        Result("projector (one tx per event)", 1, count, seconds),
    )
