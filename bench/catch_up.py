"""Catch-up: how fast reporting's and guidance's projections build from zero over a history of
at least a million events, against reading and decoding the same topics only.

The history is a recorded cohort simulator run, cloned until it is large enough: clone k maps
every UUID and every client_ref to a value derived from k, so the clones are distinct paths
of the same shape. The clones go onto the topics the services
publish to, keyed, encoded and with the headers the relay uses, so the replay reads what a
real broker would hold.

`python -m bench.catch_up` records a cohort simulator run and measures on it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from bench.cpu_time import CpuMeter
from bench.shape import Result
from chassis.event_store import GlobalPosition, PostgresEventStore, create_pool
from chassis.kafka_wire import encode_event, ensure_topics, event_headers
from chassis.projector import Projector
from chassis.rebuild import replay_topics
from chassis.service import ServiceSpec
from contracts.envelope import EventEnvelope
from deploy.databases import service_database
from deploy.local_stack import LocalInfrastructure, start_infrastructure
from deploy.system import RunningSystem, start_system
from services.enrolment.app import SPEC as ENROLMENT
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.app import SPEC as REPORTING
from services.tasks.app import SPEC as TASKS
from simulator.population import PopulationSpec
from simulator.run import default_end, run_simulation

# The services whose relays publish their stores' events.
PUBLISHERS: Sequence[ServiceSpec] = (ENROLMENT, TASKS, GUIDANCE)
CLONES = uuid.UUID("5b0c3d1e-7f1a-4c55-9d0e-0a7c2f9e4b61")  # namespace of the cloned ids
_UUID = re.compile(rb"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_CLIENT_REF = re.compile(rb'"client_ref":"([^"\\]+)"')
_JSON_STRING = re.compile(rb'"([^"\\]*)"')
READ_PAGE = 5000
PRODUCE_CHUNK = 50_000  # messages sent before waiting for their acknowledgements
PROGRESS_EVENTS = 100_000
PROGRESS_SECONDS = 10.0


class RecordedEvent(NamedTuple):
    """An event of a recorded run and the topics its service's relay published it to."""

    topics: tuple[str, ...]
    envelope: EventEnvelope


async def recorded_history(system: RunningSystem) -> list[RecordedEvent]:
    """Every event stored by the publishing services, each store in its (tx_id, position)
    order, with the topics its relay chose (upcast by the service's own upcaster)."""
    history: list[RecordedEvent] = []
    for spec in PUBLISHERS:
        assert spec.publishes is not None, f"{spec.name} publishes nothing"
        choose = spec.publishes
        pool = await create_pool(system.infrastructure.postgres.dsn_for(spec.name), max_size=1)
        try:
            store = PostgresEventStore(pool, *([spec.upcaster] if spec.upcaster else []))
            position = GlobalPosition.start()
            while page := await store.read_all(position, limit=READ_PAGE):
                history += [RecordedEvent(tuple(choose(s)), s.envelope) for s in page]
                position = page[-1].position
        finally:
            await pool.close()
    return history


# --- the history on the wire, and its clones -------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One part of a message (key, value or a header value) cut around the tokens a clone
    replaces: literal pieces and, between them, the original UUIDs and client_refs."""

    pieces: tuple[bytes, ...]
    tokens: tuple[bytes, ...]

    def render(self, replace: Callable[[bytes], bytes]) -> bytes:
        if not self.tokens:
            return self.pieces[0]  # most headers: nothing to replace
        out = [self.pieces[0]]
        for token, piece in zip(self.tokens, self.pieces[1:], strict=True):
            out += (replace(token), piece)
        return b"".join(out)


@dataclass(frozen=True)
class WireRecord:
    """A message as the relay sends it, ready to be rendered for any clone."""

    topic: str
    key: Template
    value: Template
    headers: tuple[tuple[str, Template], ...]


def _client_refs(history: Sequence[RecordedEvent]) -> frozenset[bytes]:
    refs: set[bytes] = set()
    for _, envelope in history:
        refs.update(_CLIENT_REF.findall(encode_event(envelope)))
    return frozenset(refs)


def _template(raw: bytes, client_refs: frozenset[bytes]) -> Template:
    """Cut `raw` around every UUID and every whole string that is a known client_ref (in
    whatever field it appears: a client's actor id is their client_ref too)."""
    spans = [m.span() for m in _UUID.finditer(raw)]
    spans += [m.span(1) for m in _JSON_STRING.finditer(raw) if m.group(1) in client_refs]
    if raw in client_refs:  # a header value is the bare string
        spans.append((0, len(raw)))
    pieces, tokens, at = [], [], 0
    for start, end in sorted(set(spans)):
        if start < at:
            continue  # a UUID inside a client_ref already taken whole
        pieces.append(raw[at:start])
        tokens.append(raw[start:end])
        at = end
    pieces.append(raw[at:])
    return Template(tuple(pieces), tuple(tokens))


def wire_records(history: Sequence[RecordedEvent]) -> list[WireRecord]:
    """The history as the relays send it: key, value and headers from chassis.kafka_wire."""
    refs = _client_refs(history)
    return [
        WireRecord(
            topic=topic,
            key=_template(envelope.stream_id.encode(), refs),
            value=_template(encode_event(envelope), refs),
            headers=tuple(
                (name, _template(value, refs)) for name, value in event_headers(envelope)
            ),
        )
        for topics, envelope in history
        for topic in topics
    ]


def clone_replacer(clone: int) -> Callable[[bytes], bytes]:
    """The same original always becomes the same new value within a clone: a UUID a new UUID
    (uuid5 of the clone and the original), a client_ref one of its own shape."""
    cache: dict[bytes, bytes] = {}

    def replace(token: bytes) -> bytes:
        found = cache.get(token)
        if found is None:
            found = cache[token] = _derive(clone, token)
        return found

    return replace


def _derive(clone: int, token: bytes) -> bytes:
    if _UUID.fullmatch(token):
        return str(uuid.uuid5(CLONES, f"{clone}:{token.decode().lower()}")).encode()
    # A client_ref: keep its prefix up to the last '-', the rest becomes as many hex digits.
    prefix, dash, body = token.rpartition(b"-")
    digest = hashlib.sha256(b"%d:%s" % (clone, token)).hexdigest().encode()
    return prefix + dash + digest[: len(body)]


Headers = list[tuple[str, bytes]]


def clone_messages(
    records: Sequence[WireRecord], clones: int, first: int = 0
) -> Iterator[tuple[str, bytes, bytes, Headers]]:
    """(topic, key, value, headers) of clones first.. first + clones - 1, each clone's
    messages in the seed's order."""
    for clone in range(first, first + clones):
        replace = clone_replacer(clone)
        for record in records:
            headers = [(name, value.render(replace)) for name, value in record.headers]
            yield record.topic, record.key.render(replace), record.value.render(replace), headers


# --- producing and measuring -----------------------------------------------------------------


class Progress:
    """Prints the count done every 100,000 or every 10 s, whichever comes first."""

    def __init__(self, label: str, total: int) -> None:
        self._label = label
        self._total = total
        self._started = time.perf_counter()
        self._printed_at = self._started
        self._next = PROGRESS_EVENTS

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if done < self._next and now - self._printed_at < PROGRESS_SECONDS:
            return
        self._next = (done // PROGRESS_EVENTS + 1) * PROGRESS_EVENTS
        self._printed_at = now
        rate = done / (now - self._started)
        print(f"    {self._label}: {done:>9,} / {self._total:,} ({rate:,.0f} events/s)", flush=True)


async def _assert_empty(bootstrap: str, topics: Sequence[str]) -> None:
    """The measurement counts every message on the topics, so they must start empty."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        held = sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()
    if held:
        raise RuntimeError(f"the topics {list(topics)} already hold messages: use a new broker")


class _PartitionBatches:
    """Messages gathered into one batch per partition, each sent when the producer's batch
    size is reached: no per-message send. The partition is the one the relay's producer
    picks, aiokafka's default partitioner over the key, so one stream stays on one partition.
    """

    def __init__(self, producer: AIOKafkaProducer, partitions: dict[str, list[int]]) -> None:
        self._producer = producer
        self._partitions = partitions
        self._partitioner = DefaultPartitioner()
        self._chosen: dict[tuple[str, bytes], int] = {}  # a stream's messages come together
        self._open: dict[tuple[str, int], Any] = {}  # aiokafka's BatchBuilder, untyped
        self._in_flight: list[asyncio.Future[Any]] = []

    async def add(self, topic: str, key: bytes, value: bytes, headers: Headers) -> None:
        partition = self._partition(topic, key)
        batch = self._open.get((topic, partition))
        if batch is None:
            batch = self._open[topic, partition] = self._producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
            await self._send(topic, partition)  # full: send it, start the next with this one
            batch = self._open[topic, partition] = self._producer.create_batch()
            batch.append(key=key, value=value, timestamp=None, headers=headers)

    async def flush(self) -> None:
        """Send every open batch and wait until the broker has acknowledged all of them."""
        for topic, partition in list(self._open):
            await self._send(topic, partition)
        await asyncio.gather(*self._in_flight)
        self._in_flight.clear()
        self._chosen.clear()

    def _partition(self, topic: str, key: bytes) -> int:
        chosen = self._chosen.get((topic, key))
        if chosen is None:
            partitions = self._partitions[topic]
            chosen = self._chosen[topic, key] = self._partitioner(key, partitions, partitions)
        return chosen

    async def _send(self, topic: str, partition: int) -> None:
        batch = self._open.pop((topic, partition))
        self._in_flight.append(await self._producer.send_batch(batch, topic, partition=partition))


async def _partitions(bootstrap: str, topics: set[str]) -> dict[str, list[int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        return {topic: sorted(consumer.partitions_for_topic(topic) or ()) for topic in topics}
    finally:
        await consumer.stop()


async def produce(
    bootstrap: str, records: Sequence[WireRecord], clones: int, first: int = 0
) -> int:
    """Send the messages of clones first.. first + clones - 1; returns how many were sent
    (and acknowledged)."""
    total = clones * len(records)
    progress = Progress("produced", total)
    partitions = await _partitions(bootstrap, {record.topic for record in records})
    # The relay's settings (every replica acknowledges, no idempotence), larger batches.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        max_batch_size=512 * 1024,
        request_timeout_ms=60_000,
    )
    await producer.start()
    sent = 0
    try:
        batches = _PartitionBatches(producer, partitions)
        for topic, key, value, headers in clone_messages(records, clones, first):
            await batches.add(topic, key, value, headers)
            sent += 1
            if sent % PRODUCE_CHUNK == 0:
                await batches.flush()  # bounds what is held in memory
                progress(sent)
        await batches.flush()
    finally:
        await producer.stop()
    return sent


@dataclass(frozen=True)
class Expected:
    """What the read model must hold after the catch-up, so that the rate is honest."""

    paths: int
    answers: int


def expected_figures(history: Sequence[RecordedEvent], clones: int) -> Expected:
    opened = {e.stream_id for _, e in history if e.event_type == "PathwayOpened"}
    answers = sum(e.event_type == "TaskAnswered" for _, e in history)
    return Expected(paths=clones * len(opened), answers=clones * answers)


async def _catch_up(
    infra: LocalInfrastructure,
    spec: ServiceSpec,
    events: int,
    holds: Callable[[asyncpg.Pool], Awaitable[str | None]],
) -> tuple[float, dict[str, float]]:
    """Seconds for the service's projections to build from zero over its topics, and the CPU
    seconds each part spent meanwhile; `holds` then says what the read model lacks (None: all
    of it), so that the rate is honest."""
    dsn = await service_database(infra.postgres.dsn, spec, "catch_up")
    pool = await create_pool(dsn, max_size=20)  # as create_app makes the service's pool
    try:
        projectors = [Projector(pool, projection) for projection in spec.projections]
        meter = CpuMeter(_infrastructure_processes(infra))
        started = time.perf_counter()
        read = await replay_topics(
            infra.kafka.bootstrap_servers,
            spec.subscribes,
            projectors,
            give_up_after=3600,
            progress=Progress(f"{spec.name} caught up", events),
        )
        seconds = time.perf_counter() - started
        cpu = meter.shares(seconds)
        print(cpu.line(), flush=True)
        assert read == events, f"replayed {read} of {events} events"
        lacking = await holds(pool)
        assert lacking is None, lacking
    finally:
        await pool.close()
    return seconds, cpu.parts


def _infrastructure_processes(infra: LocalInfrastructure) -> dict[str, int]:
    processes = {"PostgreSQL": infra.postgres.process, "broker": infra.kafka.process}
    return {name: process.pid for name, process in processes.items() if process is not None}


def _report_holds(expected: Expected) -> Callable[[asyncpg.Pool], Awaitable[str | None]]:
    async def holds(pool: asyncpg.Pool) -> str | None:
        paths = await pool.fetchval("SELECT count(*) FROM report_paths")
        answers = await pool.fetchval("SELECT coalesce(sum(answers), 0) FROM report_paths")
        if (paths, answers) == (expected.paths, expected.answers):
            return None
        return f"read model holds {paths} paths and {answers} answers, expected {expected}"

    return holds


def _caseload_holds(expected: Expected) -> Callable[[asyncpg.Pool], Awaitable[str | None]]:
    async def holds(pool: asyncpg.Pool) -> str | None:
        paths = await pool.fetchval("SELECT count(*) FROM caseload")
        answers = await pool.fetchval(
            "SELECT coalesce(sum(answers + help_requests), 0) FROM caseload"
        )
        if (paths, answers) == (expected.paths, expected.answers):
            return None
        return f"caseload holds {paths} paths and {answers} answers, expected {expected}"

    return holds


async def run_catch_up(
    infra: LocalInfrastructure, seed_history: list[RecordedEvent], target_events: int = 1_000_000
) -> tuple[Result, Result, Result]:
    """(consume + decode only, reporting catch-up, guidance catch-up) over the seed cloned to
    >= target_events. Guidance reads the same three topics as reporting.

    Needs a broker whose reporting topics are still empty (a fresh infrastructure).
    """
    assert set(GUIDANCE.subscribes) == set(REPORTING.subscribes)
    bootstrap = infra.kafka.bootstrap_servers
    topics = REPORTING.subscribes
    records = wire_records(seed_history)
    if not any(record.topic in topics for record in records):
        raise ValueError("the seed history holds no event that reporting reads")
    clones = math.ceil(target_events / len(records))
    await ensure_topics(bootstrap, {*topics, *(record.topic for record in records)})
    await _assert_empty(bootstrap, topics)
    print(
        f"  {len(seed_history):,} recorded events x {clones:,} clones"
        f" = {clones * len(records):,} messages",
        flush=True,
    )
    await produce(bootstrap, records, clones)
    events = clones * sum(record.topic in topics for record in records)
    meter = CpuMeter(_infrastructure_processes(infra))
    started = time.perf_counter()
    # No projector: the same replay, reading and decoding only (the consumer's ceiling).
    assert await replay_topics(bootstrap, topics, [], give_up_after=3600) == events
    baseline = time.perf_counter() - started
    baseline_cpu = meter.shares(baseline)
    print(baseline_cpu.line(), flush=True)
    expected = expected_figures(seed_history, clones)
    reporting, reporting_cpu = await _catch_up(infra, REPORTING, events, _report_holds(expected))
    guidance, guidance_cpu = await _catch_up(infra, GUIDANCE, events, _caseload_holds(expected))
    return (
        Result("consume + decode only", 1, events, baseline, baseline_cpu.parts),
        Result("reporting catch-up", 1, events, reporting, reporting_cpu),
        Result("guidance catch-up", 1, events, guidance, guidance_cpu),
    )


# --- python -m bench.catch_up ----------------------------------------------------------------


def record_simulated_run(clients_per_group: int, seed: int = 2026) -> list[RecordedEvent]:
    """Start the whole system, run the cohort simulator on it, and read back what the
    services stored: the seed history a catch-up clones."""
    spec = PopulationSpec(end=default_end().date(), seed=seed, clients_per_group=clients_per_group)
    system = start_system(durable=False)
    try:
        run_simulation(system, spec, progress=lambda line: None)
        return asyncio.run(_quiet_history(system))
    finally:
        system.stop()


async def _quiet_history(system: RunningSystem) -> list[RecordedEvent]:
    """The recorded history once the services have stopped reacting to it (a policy, such
    as tasks starting a plan for an opened path, stores its events a moment later)."""
    history = await recorded_history(system)
    while True:
        await asyncio.sleep(2.0)
        again = await recorded_history(system)
        if len(again) == len(history):
            return again
        history = again


def main() -> None:
    # Here, not at the top: `make bench` (bench.__main__) imports this module.
    from bench.__main__ import line, run_async

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000, help="events at least")
    parser.add_argument(
        "--clients-per-group", type=int, default=3, help="simulated clients per group recorded"
    )
    args = parser.parse_args()
    started = time.monotonic()
    print("Recording a cohort simulator run…", flush=True)
    history = record_simulated_run(args.clients_per_group)
    print("Starting a durable local PostgreSQL (fsync on) and the Tansu broker…", flush=True)
    infra = start_infrastructure(durable=True)
    try:
        baseline, catch_up, guidance = run_async(run_catch_up(infra, history, args.events))
    finally:
        infra.stop()
    print(line(baseline))
    print(line(catch_up))
    print(line(guidance))
    ratio = catch_up.per_second / baseline.per_second
    print(f"  ratio reporting catch-up/consume-only = {ratio:.2f}x")
    print(f"\ncatch-up bench finished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
