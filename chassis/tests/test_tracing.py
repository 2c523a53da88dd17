"""Traces across Kafka (decision 0039): the traceparent in headers and in the store's column,
the relay's publish spans, and the consumers' spans in each command's own trace."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind

from chassis import tracing
from chassis.event_store import DbConnection, EventStore, GlobalPosition, PostgresEventStore
from chassis.kafka_wire import ensure_topics, event_producer
from chassis.logs import add_trace_ids
from chassis.outbox import Outbox, OutboxMessage, outbox_messages
from chassis.projector import Projection, Projector
from chassis.relay import Relay, event_messages
from chassis.tests.factories import envelope
from chassis.tests.kafka_reading import read_topic
from contracts.envelope import EventEnvelope
from deploy.test_infrastructure import TestInfrastructure

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test, every span kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.QuietRoots(ALWAYS_ON))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with tracing.traced_by(provider):
        yield exporter


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def ids(span: ReadableSpan) -> tuple[int, int]:
    context = span.get_span_context()
    assert context is not None
    return context.trace_id, context.span_id


def parent_of(span: ReadableSpan) -> int:
    assert span.parent is not None, f"{span.name} has no parent"
    return span.parent.span_id


def test_a_traceparent_goes_into_headers_and_comes_back_as_the_remote_parent(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.tracer().start_as_current_span("request") as span:
        value = tracing.current_traceparent()
    assert value is not None
    headers = tracing.with_traceparent([("traceparent", b"00-old"), ("tenant", b"x")], value)
    assert headers == [("tenant", b"x"), ("traceparent", value.encode())]
    assert tracing.traceparent_header(headers) == value
    assert tracing.traceparent_header({"traceparent": value}) == value
    parent = tracing.context_of(value.encode())
    assert parent is not None
    remote = trace.get_current_span(parent).get_span_context()
    assert (remote.trace_id, remote.span_id) == (
        span.get_span_context().trace_id,
        span.get_span_context().span_id,
    )
    assert remote.is_remote and remote.trace_flags.sampled
    for broken in (None, "", "00-zz-yy-01", b"\xff\xfe", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"):
        assert tracing.context_of(broken) is None


def test_without_tracing_nothing_is_made_or_kept() -> None:
    assert not tracing.enabled()
    with tracing.span("anything"):
        assert tracing.current_traceparent() is None
    assert (
        tracing.start_child("x", "00-" + "1" * 32 + "-" + "2" * 16 + "-01", SpanKind.CLIENT) is None
    )


async def test_an_append_keeps_its_span_context_with_the_events(
    any_store: EventStore, spans: InMemorySpanExporter
) -> None:
    with tracing.tracer().start_as_current_span("request"):
        await any_store.append([envelope("s1"), envelope("s1")], expected_version=0)
    (append,) = named(spans, "event store append")
    (request,) = named(spans, "request")
    assert parent_of(append) == ids(request)[1]
    stored = await any_store.read_all(GlobalPosition.start())
    assert [event.trace_context for event in stored] == [tracing.traceparent_of(append.context)] * 2


async def test_an_untraced_append_keeps_no_context(any_store: EventStore) -> None:
    await any_store.append([envelope("s1")], expected_version=0)
    (stored,) = await any_store.read_all(GlobalPosition.start())
    assert stored.trace_context is None
    (message,) = event_messages(lambda _: ["t"])(stored)
    headers = message.headers
    assert tracing.traceparent_header(headers) is None


async def test_the_relay_publishes_each_event_in_a_child_span_of_its_append(
    store: PostgresEventStore,
    infrastructure: TestInfrastructure,
    spans: InMemorySpanExporter,
) -> None:
    topic = f"test.tracing.{uuid4().hex[:8]}"
    await ensure_topics(infrastructure.kafka_bootstrap, [topic])
    with tracing.tracer().start_as_current_span("first command"):
        await store.append([envelope("a")], expected_version=0)
    with tracing.tracer().start_as_current_span("second command"):
        await store.append([envelope("b"), envelope("b")], expected_version=0)
    # Outside any span: tracing on, the append starts a trace of its own (a scheduled job's).
    await store.append([envelope("c")], expected_version=0)
    producer: AIOKafkaProducer = event_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        relay = Relay(store, producer, event_messages(lambda _: [topic]), name="traced")
        assert await relay.publish_batch() == 4
    finally:
        await producer.stop()

    appends = named(spans, "event store append")
    assert len({ids(span)[0] for span in appends}) == 3
    publishes = named(spans, "relay publish")
    assert all(span.kind is SpanKind.PRODUCER for span in publishes)
    # One publish span per append, a child of the append whose events it publishes.
    assert sorted(parent_of(span) for span in publishes) == sorted(ids(s)[1] for s in appends)
    records = await read_topic(infrastructure.kafka_bootstrap, topic, 4)
    sent = Counter(tracing.traceparent_header(record.headers) for record in records)
    counts = {ids(span)[1]: (span.attributes or {})["digipolku.event_count"] for span in appends}
    assert sent == {tracing.traceparent_of(s.context): counts[parent_of(s)] for s in publishes}


async def test_a_batch_of_many_traces_projects_in_each_trace(
    pool: asyncpg.Pool, spans: InMemorySpanExporter
) -> None:
    async def apply(connection: DbConnection, event: EventEnvelope) -> None:
        await connection.execute("SELECT 1")

    projector = Projector(pool, Projection("noted", [], {"Noted": apply}))
    producers = []
    for name in ("one", "two"):
        with tracing.tracer().start_as_current_span(name) as span:
            producers.append((span, tracing.current_traceparent()))
    events = [envelope("s1"), envelope("s2"), envelope("s3")]
    headers = [
        {"traceparent": producers[0][1]},
        {"traceparent": producers[1][1]},
        {"traceparent": producers[0][1]},
    ]
    admitted = [
        (e.event_id, h, {"digipolku.event_type": e.event_type})
        for e, h in zip(events, headers, strict=True)
    ]
    with (
        tracing.tracer().start_as_current_span("batch") as batch,
        tracing.consuming("consume events", admitted),
    ):
        await projector.handle_batch([("topic", event) for event in events])
        with tracing.in_event_trace(events[1].event_id):
            logged = add_trace_ids(None, "info", {})

    consumed = named(spans, "consume events")
    assert len(consumed) == 2  # one per trace, not one per event
    by_trace = {ids(span)[0]: span for span in consumed}
    for producer, _ in producers:
        consume = by_trace[producer.get_span_context().trace_id]
        assert parent_of(consume) == producer.get_span_context().span_id
        links = [link.context.span_id for link in consume.links]
        assert links == [batch.get_span_context().span_id]
    projected = named(spans, "project noted")
    assert sorted(parent_of(span) for span in projected) == sorted(ids(s)[1] for s in consumed)
    second = producers[1][0].get_span_context()
    assert logged["trace_id"] == f"{second.trace_id:032x}"


def test_database_queries_outside_any_request_start_no_trace(
    spans: InMemorySpanExporter,
) -> None:
    tracing.tracer().start_span("SELECT", kind=SpanKind.CLIENT).end()
    with tracing.tracer().start_as_current_span("request"):
        tracing.tracer().start_span("SELECT", kind=SpanKind.CLIENT).end()
    assert [span.name for span in spans.get_finished_spans()] == ["SELECT", "request"]
    assert spans.get_finished_spans()[0].parent is not None


async def test_an_outbox_message_keeps_its_writer_context_but_carries_no_header(
    pool: asyncpg.Pool, spans: InMemorySpanExporter
) -> None:
    outbox = Outbox(pool)
    with tracing.tracer().start_as_current_span("consume events") as span:
        await outbox.add(OutboxMessage(uuid4(), "public.topic", b"key", b"{}"))
    await outbox.add(OutboxMessage(uuid4(), "public.topic", b"key", b"{}"))
    traced, untraced = await outbox.read_all(GlobalPosition.start())
    assert traced.trace_context == tracing.traceparent_of(span.get_span_context())
    assert untraced.trace_context is None
    (message,) = outbox_messages(traced)
    assert message.headers == []  # it leaves the platform: no trace header (decision 0039)


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that keeps what it is sent."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_otlp_endpoint_setting_exports_spans_there() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
    # Its own process: a process's tracer provider is set once and stays.
    script = (
        "from chassis import tracing\n"
        "provider = tracing.start_tracing('probe')\n"
        "with tracing.span('probe-span'):\n"
        "    pass\n"
        "provider.shutdown()\n"
    )
    try:
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "DIGIPOLKU_OTLP_ENDPOINT": endpoint},
            check=True,
            timeout=30,
        )
    finally:
        server.shutdown()
    assert [path for path, _ in _Collector.received] == ["/v1/traces"]
    body = _Collector.received[0][1]
    assert b"probe-span" in body and b"probe" in body  # the span and its service's name
