"""What tracing costs the two hot paths (decision 0039): the relay publishing a store's events,
and a service's batch consumer applying fetched batches to a projection, each with tracing
off and on. On, every event was appended in a command's span, so each is published in a span
of its own and consumed in a span of its own (a store written by many commands: the worst
case), with the spans written to a JSON-lines file, as in development.

`python -m bench.tracing_cost [--aggregates N]` starts its own PostgreSQL and broker. The
sampler is the one OTEL_TRACES_SAMPLER names (all by default): with
`OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1` a tenth of the
commands are traced, and only their events cost anything.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bench.shape import EVENTS_PER_AGGREGATE
from bench.store_append import envelopes
from chassis import tracing
from chassis.consumer import BatchConsumer
from chassis.event_store import DbConnection, PostgresEventStore, create_pool
from chassis.kafka_wire import decode_event, ensure_topics, event_producer
from chassis.logs import configure_logging
from chassis.migrate import upgrade_async
from chassis.projector import Projection, Projector
from chassis.relay import Relay, event_messages
from contracts.envelope import EventEnvelope
from deploy.databases import create_database
from deploy.local_stack import start_infrastructure

FETCH_RECORDS = 500  # what the services' batch consumer takes at most (chassis.service)


@contextmanager
def traced(on: bool, spans_file: Path) -> Iterator[None]:
    """Tracing on (spans to `spans_file`, flushed before the block ends) or off."""
    if not on:
        yield
        return
    provider = TracerProvider(sampler=tracing.QuietRoots(tracing._configured_sampler()))
    provider.add_span_processor(BatchSpanProcessor(tracing.JsonLinesExporter(spans_file)))
    with tracing.traced_by(provider):
        yield
        provider.force_flush()  # the export is part of the cost
    provider.shutdown()


async def _append(
    store: PostgresEventStore, aggregates: int, per_command: int, spans: Path
) -> None:
    """The aggregates' events appended `per_command` at a time, each append in a command span
    of its own, so each keeps its command's context."""
    with traced(True, spans):
        for aggregate in range(aggregates):
            events = envelopes(aggregate)
            for first in range(0, len(events), per_command):
                with tracing.span("command"):
                    await store.append(events[first : first + per_command], expected_version=first)


async def _relay(
    store: PostgresEventStore, bootstrap: str, topic: str, on: bool, spans: Path
) -> float:
    producer = event_producer(bootstrap)
    await producer.start()
    try:
        relay = Relay(store, producer, event_messages(lambda _: [topic]), name=topic)
        with traced(on, spans):
            started = time.perf_counter()
            while await relay.publish_batch():
                pass
            return time.perf_counter() - started
    finally:
        await producer.stop()


async def _counting(pool: asyncpg.Pool, name: str) -> Projector:
    table = f"bench_{name}"
    await pool.execute(f"CREATE TABLE {table} (stream_id text PRIMARY KEY, events int NOT NULL)")

    async def count(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute(
            f"INSERT INTO {table} VALUES ($1, 1) ON CONFLICT (stream_id)"
            f" DO UPDATE SET events = {table}.events + 1",
            event.stream_id,
        )

    return Projector(pool, Projection(name, [table], {"TaskAnswered": count}))


async def _consume(
    pool: asyncpg.Pool, bootstrap: str, topic: str, expected: int, on: bool, spans: Path
) -> float:
    """Seconds for the services' batch consumer to apply the topic from the start."""
    name = f"{'on' if on else 'off'}_{uuid4().hex[:6]}"
    runtime: Any = SimpleNamespace(projectors=[await _counting(pool, name)])
    consumer = BatchConsumer(runtime, None)
    kafka = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=FETCH_RECORDS,
    )
    await kafka.start()
    try:
        await kafka.topics()
        partitions = [
            TopicPartition(topic, p) for p in sorted(kafka.partitions_for_topic(topic) or ())
        ]
        kafka.assign(partitions)
        await kafka.seek_to_beginning(*partitions)
        seen = 0
        with traced(on, spans):
            started = time.perf_counter()
            while seen < expected:
                fetched = await kafka.getmany(timeout_ms=1000, max_records=FETCH_RECORDS)
                admitted = [
                    (record, decode_event(record.value), dict(record.headers))
                    for records in fetched.values()
                    for record in records
                ]
                await consumer.handle(admitted)
                seen += len(admitted)
            seconds = time.perf_counter() - started
    finally:
        await kafka.stop()
    applied = await pool.fetchval(f"SELECT sum(events) FROM bench_{name}")
    assert applied == expected, f"projected {applied} of {expected}"
    return seconds


async def measure(
    admin_dsn: str, bootstrap: str, aggregates: int, per_command: int, rounds: int
) -> None:
    dsn = await create_database(admin_dsn, f"tracing_{uuid4().hex[:8]}")
    await upgrade_async(dsn)
    pool = await create_pool(dsn, max_size=4)
    spans = Path(tempfile.mkdtemp(prefix="digipolku-tracing-")) / "spans.jsonl"
    events = aggregates * EVENTS_PER_AGGREGATE
    try:
        store = PostgresEventStore(pool)
        await _append(store, aggregates, per_command, spans)
        timings: dict[str, list[float]] = {}
        topic = ""
        for _ in range(rounds):  # alternated, so a slow moment of the machine hits both
            for on in (False, True):
                topic = f"bench.tracing.{uuid4().hex[:8]}"
                await ensure_topics(bootstrap, [topic])
                label = "on" if on else "off"
                seconds = await _relay(store, bootstrap, topic, on, spans)
                timings.setdefault(f"relay, tracing {label}", []).append(seconds)
                seconds = await _consume(pool, bootstrap, topic, events, on, spans)
                timings.setdefault(f"consumer + projector, tracing {label}", []).append(seconds)
    finally:
        await pool.close()
    commands = sum(1 for line in spans.open() if '"name": "command"' in line)
    print(
        f"{events:,} events, {per_command} per command, {commands * per_command:,} of them"
        f" traced; best of {rounds} rounds"
    )
    best = {name: min(seconds) for name, seconds in timings.items()}
    for name, seconds in best.items():
        print(f"  {name:38} {events / seconds:10,.0f} events/s")
    for part in ("relay", "consumer + projector"):
        ratio = best[f"{part}, tracing off"] / best[f"{part}, tracing on"]
        print(f"  {part}: tracing on runs at {ratio:.2f} of tracing off's rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aggregates", type=int, default=1000, help="of 10 events each")
    parser.add_argument("--per-command", type=int, default=1, help="events per append (1-10)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    configure_logging("bench", logging.WARNING)  # a line per consumed event, on or off
    infra = start_infrastructure(durable=False)
    try:
        asyncio.run(
            measure(
                infra.postgres.dsn,
                infra.kafka.bootstrap_servers,
                args.aggregates,
                args.per_command,
                args.rounds,
            )
        )
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
