"""Traces across Kafka (decision 0039): one trace follows a command from its HTTP request
through the event store, the relay and Kafka into every consumer's read models.

Off unless asked for: `DIGIPOLKU_OTLP_ENDPOINT` (an OTLP/HTTP traces endpoint, or the standard
`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`) exports there; `DIGIPOLKU_TRACE_FILE` writes each span
as one JSON line to a file (development: `make run` and the test system put them under their
stack's `traces/`). With neither, nothing is installed and every helper below returns at its
first check, so a service without tracing pays next to nothing. The standard OTEL_* variables
are honoured where the SDK reads them (sampler, resource, exporter headers, batch sizes).

The context crosses the gap between a command and its relay (another task, later, in batches)
in the event store: each appended event keeps the W3C `traceparent` of the append's span
(`current_traceparent`), and the relay makes its publish span a child of it and sends that
span's `traceparent` in the message's headers, where consumers find it (`context_of`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from pydantic_settings import BaseSettings, SettingsConfigDict

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER_NAME = "digipolku.chassis"
# Spans written to the development file within about this long, so a person (or a test)
# reading it sees a request's spans moments after the response.
_FILE_EXPORT_DELAY_MS = 500


class TracingSettings(BaseSettings):
    """Where spans go; neither set (nor the standard OTLP endpoint): tracing is off."""

    model_config = SettingsConfigDict(env_prefix="DIGIPOLKU_", extra="ignore")

    otlp_endpoint: str | None = None
    trace_file: Path | None = None

    @property
    def otlp(self) -> str | None:
        return (
            self.otlp_endpoint
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        )

    @property
    def wanted(self) -> bool:
        disabled = os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
        return not disabled and (self.otlp is not None or self.trace_file is not None)


# The process's provider once tracing is on (one per process: OpenTelemetry's global
# provider can be set only once); None: tracing is off and every helper returns at once.
_provider: TracerProvider | None = None
_tracer: trace.Tracer = trace.NoOpTracer()


def enabled() -> bool:
    return _provider is not None


def start_tracing(service: str, settings: TracingSettings | None = None) -> TracerProvider | None:
    """Make this process's tracer provider, exporting where the settings say; None when
    tracing is off. A second call (a second app in one process) returns the first provider."""
    if _provider is not None:
        return _provider
    settings = settings or TracingSettings()
    if not settings.wanted:
        return None
    resource = Resource.create({"service.name": service})
    provider = TracerProvider(resource=resource, sampler=QuietRoots(_configured_sampler()))
    if settings.otlp is not None:
        # Imported here: the exporter pulls in protobuf and requests, which an untraced
        # process (most tests, the CLI) need not load.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # None: the exporter reads the standard variables itself (the general endpoint gets
        # its /v1/traces path added there).
        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint)
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if settings.trace_file is not None:
        provider.add_span_processor(
            BatchSpanProcessor(
                JsonLinesExporter(settings.trace_file), schedule_delay_millis=_FILE_EXPORT_DELAY_MS
            )
        )
    trace.set_tracer_provider(provider)
    _use(provider)
    return provider


def _use(provider: TracerProvider | None) -> None:
    global _provider, _tracer
    _provider = provider
    _tracer = trace.NoOpTracer() if provider is None else provider.get_tracer(_TRACER_NAME)


@contextlib.contextmanager
def traced_by(provider: TracerProvider) -> Iterator[TracerProvider]:
    """Tracing on with this provider inside the block, then as it was (tests: the global
    provider, which instrumentations default to, can be set only once per process)."""
    before = _provider
    _use(provider)
    try:
        yield provider
    finally:
        _use(before)


def kafka_middlewares(service: str) -> tuple[Any, ...]:
    """FastStream's telemetry middleware for a service's Kafka router when tracing is on
    (none otherwise). For a batch subscriber it starts a new trace per batch, linked to the
    messages' contexts; `consuming` then puts each event's work in its own trace."""
    provider = start_tracing(service)
    if provider is None:
        return ()
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

    return (KafkaTelemetryMiddleware(tracer_provider=provider),)


# Probes and scrapes: a span each, several a second, telling nothing about a command.
_UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def instrument(app: Any, service: str) -> None:
    """Server spans for the app's requests and client spans for asyncpg's queries (once per
    process: the asyncpg instrumentation patches the driver's classes)."""
    provider = start_tracing(service)
    if provider is None:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=_UNTRACED_PATHS,
        # The ASGI receive and send of every request: two spans each, no story.
        exclude_spans=["receive", "send"],
    )
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def _configured_sampler() -> sampling.Sampler:
    """The sampler OTEL_TRACES_SAMPLER (and _ARG) names; parent-based always-on by default."""
    return sampling._get_from_env_or_default()


class QuietRoots(sampling.Sampler):
    """The configured sampler, except that a database query outside any request or message
    (the relay's polling, a readiness probe, a background sweep) starts no trace: dozens a
    second of one-span traces would bury the ones that tell a command's story."""

    def __init__(self, inner: sampling.Sampler) -> None:
        self._inner = inner

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> sampling.SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if kind is SpanKind.CLIENT and not parent.is_valid:
            return sampling.SamplingResult(sampling.Decision.DROP)
        return self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"QuietRoots{{{self._inner.get_description()}}}"


def tracer() -> trace.Tracer:
    return _tracer


# --- the W3C traceparent: in the event store's column and in Kafka headers -----------------


def current_traceparent() -> str | None:
    """The current span's `traceparent`, to store with appended events; None without a
    sampled span (tracing off, or this trace not sampled), so nothing is stored for it."""
    if _provider is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    if not (span_context.is_valid and span_context.trace_flags.sampled):
        return None
    return traceparent_of(span_context)


def traceparent_of(span_context: trace.SpanContext) -> str:
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{int(span_context.trace_flags):02x}"
    )


def context_of(traceparent: str | bytes | None) -> Context | None:
    """The remote parent a stored or received `traceparent` names; None when it is missing
    or malformed (a malformed one is ignored, never an error: it is only a hint)."""
    if not traceparent:
        return None
    if isinstance(traceparent, bytes):
        traceparent = traceparent.decode("ascii", errors="replace")
    extracted = _PROPAGATOR.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(extracted).get_span_context().is_valid:
        return None
    return extracted


def traceparent_header(
    headers: Mapping[str, object] | Sequence[tuple[str, bytes]],
) -> str | None:
    """The `traceparent` of a Kafka message, from FastStream's dict or aiokafka's pairs."""
    raw: object
    if isinstance(headers, Mapping):
        raw = headers.get(TRACEPARENT)
    else:
        raw = next((value for key, value in headers if key == TRACEPARENT), None)
    if isinstance(raw, bytes):
        return raw.decode("ascii", errors="replace")
    return raw if isinstance(raw, str) and raw else None


def with_traceparent(headers: list[tuple[str, bytes]], traceparent: str) -> list[tuple[str, bytes]]:
    """The headers with `traceparent` set to this value (replacing any earlier one)."""
    kept = [(key, value) for key, value in headers if key != TRACEPARENT]
    return [*kept, (TRACEPARENT, traceparent.encode())]


_NO_SPAN = contextlib.nullcontext()


def span(name: str, attributes: Attributes = None) -> contextlib.AbstractContextManager[object]:
    """A span current inside the block; nothing at all when tracing is off."""
    if _provider is None:
        return _NO_SPAN
    return tracer().start_as_current_span(name, attributes=attributes)


def appending(stream_id: str, count: int) -> contextlib.AbstractContextManager[object]:
    """The span of one append to the event store, current while it runs (its context is
    what the events keep)."""
    if _provider is None:
        return _NO_SPAN
    return span(
        "event store append",
        {"digipolku.stream_id": stream_id, "digipolku.event_count": count},
    )


# --- spans across a batch: the relay's and the consumers' ---------------------------------


def start_child(
    name: str, traceparent: str | None, kind: SpanKind, attributes: Attributes = None
) -> Span | None:
    """A span whose parent is the stored or received context, not the current span (a batch
    holds events of many traces); None when tracing is off or there is no parent to join."""
    if _provider is None:
        return None
    parent = context_of(traceparent)
    if parent is None:
        return None
    links = _current_link()
    return tracer().start_span(name, context=parent, kind=kind, attributes=attributes, links=links)


def _current_link() -> list[Link] | None:
    """A link to the batch's own span, where there is one (FastStream's process span)."""
    current = trace.get_current_span().get_span_context()
    return [Link(current)] if current.is_valid else None


def end_all(spans: Iterable[Span], error: BaseException | None = None) -> None:
    for span in spans:
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()


# The consume span of each event of the batch being handled, by event id: the projectors and
# the policy put their spans in the event's own trace through it.
_EVENT_SPANS: ContextVar[Mapping[UUID, Span] | None] = ContextVar("event_spans", default=None)


@contextlib.contextmanager
def consuming(
    name: str, events: Iterable[tuple[UUID, Mapping[str, object], Attributes]]
) -> Iterator[None]:
    """One consume span per trace among a batch's events (event id, its headers, attributes
    of the span), each a child of the producer's context; ended when the block ends."""
    if _provider is None:
        yield
        return
    by_parent: dict[str, Span] = {}
    of_event: dict[UUID, Span] = {}
    for event_id, headers, attributes in events:
        traceparent = traceparent_header(headers)
        if traceparent is None:
            continue
        span = by_parent.get(traceparent)
        if span is None:
            span = start_child(name, traceparent, SpanKind.CONSUMER, attributes)
            if span is None:
                continue
            by_parent[traceparent] = span
        of_event[event_id] = span
    token = _EVENT_SPANS.set(of_event)
    try:
        yield
    except BaseException as error:
        end_all(by_parent.values(), error)
        raise
    else:
        end_all(by_parent.values())
    finally:
        _EVENT_SPANS.reset(token)


@contextlib.contextmanager
def in_event_trace(event_id: UUID) -> Iterator[None]:
    """Make the event's consume span current inside the block (what a policy does with the
    event, and the commands it issues, belong to the event's trace)."""
    span = (_EVENT_SPANS.get() or {}).get(event_id)
    if span is None:
        yield
        return
    token = otel_context.attach(trace.set_span_in_context(span))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextlib.contextmanager
def per_trace(
    name: str, event_ids: Iterable[UUID], attributes: Attributes = None
) -> Iterator[None]:
    """One span named `name` in the trace of each consume span among these events, around
    work done for all of them at once (a projector's batch transaction)."""
    spans_of_events = _EVENT_SPANS.get()
    if not spans_of_events:
        yield
        return
    parents = {id(span): span for e in event_ids if (span := spans_of_events.get(e)) is not None}
    spans = [
        tracer().start_span(name, context=trace.set_span_in_context(parent), attributes=attributes)
        for parent in parents.values()
    ]
    try:
        yield
    except BaseException as error:
        end_all(spans, error)
        raise
    else:
        end_all(spans)


# --- a development exporter: one JSON line per span -----------------------------------------


class JsonLinesExporter(SpanExporter):
    """Writes each span as one JSON object per line (ids in lowercase hex, as logs carry
    them), appending to the file, so `jq` or a test can follow a trace across services."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span), default=str) + "\n" for span in spans)
        with self._lock:
            if self._file.closed:
                return SpanExportResult.FAILURE
            self._file.write(lines)
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def span_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    assert context is not None
    return {
        "name": span.name,
        "service": span.resource.attributes.get("service.name"),
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": None if span.parent is None else f"{span.parent.span_id:016x}",
        "kind": span.kind.name,
        "start": span.start_time,
        "end": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
    }
