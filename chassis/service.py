"""One way to put a service together: FastAPI for HTTP, FastStream for Kafka, the event store
and its relay, health and readiness, problem details, JSON logs with correlation ids.

A service describes itself in a `ServiceSpec`; `create_app` wires the parts in one place, so
every service starts, stops and reports its health the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.middlewares import AckPolicy
from pydantic_settings import BaseSettings

from chassis.asyncapi_docs import asyncapi_router
from chassis.auth import ClientRefs, TokenVerifier
from chassis.client_refs import StaffOnly
from chassis.clock import clock_from_file, use_clock
from chassis.config_check import refuse_to_start
from chassis.consumer import BatchConsumer
from chassis.consumer_lag import ConsumerLag
from chassis.consumer_recovery import ConsumerRecovery
from chassis.event_admission import admit, decode_batch
from chassis.event_store import PostgresEventStore, Upcaster, create_pool
from chassis.http import install_problem_handlers
from chassis.http_edge import install_edge
from chassis.i18n import Catalogue
from chassis.kafka_security import kafka_security
from chassis.kafka_wire import ensure_topics
from chassis.logs import configure_logging, get_logger
from chassis.metrics.definitions import METRICS_REGISTRY, READY
from chassis.metrics.http import HttpMetricsMiddleware
from chassis.metrics.relay_backlog import EVENT_STORE, OUTBOX
from chassis.metrics.scrape import MetricsSampler, Sampled, SampledRelay, metrics_router
from chassis.migrate import prepare_database
from chassis.openapi import install_openapi
from chassis.outbox import Outbox, outbox_messages
from chassis.policy import Policy
from chassis.probes import PROBE_SECONDS, answer_within
from chassis.projector import Projection, Projector
from chassis.relay import Item, MessageMaker, Relay, RelaySource, TopicChooser, event_messages
from chassis.relay_runtime import RunningRelay, start_relay
from chassis.sessions import sweep_sessions
from chassis.settings import ServiceSettings
from chassis.tracing import instrument, kafka_middlewares
from chassis.unit_of_work import CommandPipeline
from chassis.web.pages import COMMON_STATIC
from contracts.envelope import EventEnvelope

log = get_logger(__name__)

Parts = TypeVar("Parts")


@dataclass
class ServiceRuntime:
    """What a running service holds: settings, database pool, store, texts and token checks."""

    settings: ServiceSettings
    catalogue: Catalogue
    verifier: TokenVerifier
    pool: asyncpg.Pool | None = None
    store: PostgresEventStore | None = None
    projectors: list[Projector] = field(default_factory=list)
    # Runs every command against the store (None for a service without one).
    pipeline: CommandPipeline | None = None
    relay: Relay[Any] | None = None
    # Messages the service derives from consumed events, and their relay (chassis.outbox).
    outbox: Outbox | None = None
    outbox_relay: Relay[Any] | None = None
    # How far the consumer is behind its topics (readiness details); None without one.
    consumer_lag: ConsumerLag | None = None
    # The service's own typed parts (handlers, queries, adapters), made once by its bootstrap.
    parts: object | None = None

    def parts_as(self, kind: type[Parts]) -> Parts:
        """The parts the service's bootstrap made, as the type the service knows them by."""
        assert isinstance(self.parts, kind), f"the service has not made its {kind.__name__}"
        return self.parts

    def require_pipeline(self) -> CommandPipeline:
        assert self.pipeline is not None, "the service has no event store or has not started"
        return self.pipeline

    def require_pool(self) -> asyncpg.Pool:
        assert self.pool is not None, "the service has not started"
        return self.pool

    def require_outbox(self) -> Outbox:
        assert self.outbox is not None, "the service has no outbox or has not started"
        return self.outbox

    def require_store(self) -> PostgresEventStore:
        assert self.store is not None, "the service has no event store or has not started"
        return self.store


EventHandler = Callable[[ServiceRuntime, str, EventEnvelope], Awaitable[None]]
StartupHook = Callable[[ServiceRuntime], Awaitable[None]]
# Makes the service's parts once at start; they are found on the runtime as `parts`.
Bootstrap = Callable[[ServiceRuntime], Awaitable[object]]
# A job that runs beside the service until the event is set (a scheduler, say).
BackgroundJob = Callable[[ServiceRuntime, asyncio.Event], Coroutine[Any, Any, None]]
# How the service finds a signed-in client's reference (decision 0025); made once at create.
ClientRefsFactory = Callable[[ServiceRuntime], ClientRefs]


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    routers: Sequence[APIRouter]
    migrations: Path | None = None
    translations: Path | None = None
    # Where the relay publishes this service's events; None for a service without a store.
    publishes: TopicChooser | None = None
    published_topics: Sequence[str] = ()
    # Whether the service publishes messages of its own through an outbox and its relay.
    outbox: bool = False
    # Topics consumed by the service's one consumer group, and what it does with an event.
    subscribes: Sequence[str] = ()
    # Read models kept from the subscribed topics; each event goes to every one of them.
    projections: Sequence[Projection] = ()
    # Anything else done with a consumed event (a policy that issues a command).
    on_event: EventHandler | Policy | None = None
    upcaster: Upcaster | None = None
    on_startup: Sequence[StartupHook] = ()
    bootstrap: Bootstrap | None = None
    background: Sequence[BackgroundJob] = ()
    # Files served as they are under /static (the pages' stylesheet and scripts).
    static: Path | None = None
    # The service's own settings classes besides the chassis' (checked together at start).
    settings: Sequence[type[BaseSettings]] = ()
    # Where a client's reference comes from; None: clients are refused (staff only).
    client_refs: ClientRefsFactory | None = None


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    if settings is None:
        # Every problem of every settings class at once, before anything starts (issue 12).
        refuse_to_start([ServiceSettings, *spec.settings], service_name=spec.name)
        settings = ServiceSettings(service_name=spec.name)
    configure_logging(spec.name)
    use_clock(clock_from_file(settings.clock_file))
    catalogue = Catalogue.load(*([spec.translations] if spec.translations else []))
    runtime = ServiceRuntime(
        settings=settings,
        catalogue=catalogue,
        verifier=TokenVerifier.from_settings(settings, client_refs=StaffOnly()),
    )
    if spec.client_refs is not None:
        runtime.verifier.client_refs = spec.client_refs(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await prepare_database(settings, spec.migrations)
        runtime.pool = await create_pool(settings.database_url, max_size=20)
        if spec.publishes is not None:
            runtime.store = PostgresEventStore(runtime.pool, spec.upcaster or _no_upcast)
            runtime.pipeline = CommandPipeline.on_postgres(runtime.store, runtime.pool)
        if spec.outbox:
            runtime.outbox = Outbox(runtime.pool)
        topics = {*spec.published_topics, *spec.subscribes}
        if topics:
            await ensure_topics(
                settings.kafka_bootstrap,
                topics,
                security=kafka_security(settings),
                environment=settings.environment,
            )
        runtime.projectors = [Projector(runtime.pool, p) for p in spec.projections]
        if spec.bootstrap is not None:
            runtime.parts = await spec.bootstrap(runtime)
        for hook in spec.on_startup:
            await hook(runtime)
        relays = [
            running
            for running in (await _start_relay(spec, runtime), await _start_outbox(spec, runtime))
            if running is not None
        ]
        stop_jobs = asyncio.Event()
        jobs = [
            asyncio.create_task(job(runtime, stop_jobs), name=f"{spec.name}-job-{n}")
            for n, job in enumerate([*spec.background, sweep_sessions, *consumer_jobs])
        ]
        try:
            # The consumer last, when all it writes to is there (as FastStream's router did);
            # a broker that cannot start stops the service, its parts closed below.
            await kafka.start()
            log.info("service started")
            yield
        finally:
            await kafka.stop()
            stop_jobs.set()
            await asyncio.gather(*jobs, return_exceptions=True)
            for running in relays:
                await running.stop()
            await runtime.pool.close()
            log.info("service stopped")

    kafka = KafkaBroker(
        settings.kafka_bootstrap,
        description=spec.description,
        client_id=spec.name,
        # The service's own principal over TLS (decision 0021); None: the local plaintext broker.
        security=kafka_security(settings).broker_security(),
        middlewares=[
            # Traces, when on (decision 0039).
            *kafka_middlewares(spec.name),
            # FastStream's own consumer and publisher metrics (faststream_*) at /metrics.
            KafkaPrometheusMiddleware(registry=METRICS_REGISTRY, app_name=spec.name),
        ],
    )
    for topic in spec.published_topics:
        kafka.publisher(
            topic,
            schema=EventEnvelope,
            title=f"{topic}:publish",
            description=f"Events of the {spec.name} context, published by its relay.",
        )
    consumer_jobs = _subscribe(kafka, spec, runtime) if spec.subscribes else []

    app = FastAPI(
        title=spec.title, description=spec.description, version="0.1.0", lifespan=lifespan
    )
    app.state.runtime = runtime
    instrument(app, spec.name)
    install_edge(app, catalogue, settings)
    install_problem_handlers(app, catalogue)
    docs = asyncapi_router(app, kafka)
    install_openapi(app, docs)
    sampler = _sampler(spec, runtime)
    # Outermost, so every answer is counted, refusals and the edge's 500s included.
    app.add_middleware(HttpMetricsMiddleware, service=spec.name, routes=app.router.routes)
    app.include_router(metrics_router(sampler))
    app.include_router(_health_router(spec.name, kafka, sampler))
    for router in spec.routers:
        app.include_router(router)
    if spec.migrations is not None:  # every service with a database keeps its access log
        # Imported here: the log's router uses chassis.http_auth, which imports this module.
        from chassis.access_log import access_log_router

        app.include_router(access_log_router())
    if spec.static is not None:
        # The shared stylesheet first: a mount at /static would otherwise take its path.
        app.mount("/static/common", StaticFiles(directory=COMMON_STATIC), name="common-static")
        app.mount("/static", StaticFiles(directory=spec.static), name="static")
    # Last, where FastStream's router put it, so the documents list their paths as before.
    app.include_router(docs)
    return app


def _sampler(spec: ServiceSpec, runtime: ServiceRuntime) -> MetricsSampler:
    """What /metrics samples when scraped: the relays' backlogs, the consumer's lag per
    projection and tenant, the held streams (chassis.metrics.scrape)."""
    relays = [
        *([SampledRelay(spec.name, EVENT_STORE)] if spec.publishes is not None else []),
        *([SampledRelay(f"{spec.name}-outbox", OUTBOX)] if spec.outbox else []),
    ]
    return MetricsSampler(
        Sampled(
            service=spec.name,
            pool=lambda: runtime.pool,
            relays=lambda: relays,
            consumer_lag=lambda: runtime.consumer_lag,
            projections=lambda: [p.projection.name for p in runtime.projectors],
        )
    )


def _no_upcast(
    event_type: str, version: int, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    return version, payload


async def _start_relay(spec: ServiceSpec, runtime: ServiceRuntime) -> RunningRelay | None:
    """Every replica runs a relay; the one holding the store's lock publishes (decision 0026)."""
    if spec.publishes is None:
        return None
    running = await _relaying(
        runtime,
        runtime.require_store(),
        event_messages(spec.publishes),
        name=spec.name,
        own_topics=spec.published_topics,
    )
    runtime.relay = running.relay
    return running


async def _start_outbox(spec: ServiceSpec, runtime: ServiceRuntime) -> RunningRelay | None:
    """The outbox's own relay, leading by its own lock (decision 0030)."""
    if not spec.outbox:
        return None
    running = await _relaying(
        runtime,
        runtime.require_outbox(),
        outbox_messages,
        name=f"{spec.name}-outbox",
        # Its subscribers (the public's) cannot reorder by stream versions (decision 0030).
        check_before_each_batch=True,
    )
    runtime.outbox_relay = running.relay
    return running


async def _relaying(
    runtime: ServiceRuntime,
    source: RelaySource[Item],
    messages: MessageMaker[Item],
    *,
    name: str,
    own_topics: Sequence[str] = (),
    check_before_each_batch: bool = False,
) -> RunningRelay:
    """A relay of the service's database, with the service's broker, security and pace."""
    settings = runtime.settings
    return await start_relay(
        source,
        messages,
        name=name,
        database_url=settings.database_url,
        bootstrap=settings.kafka_bootstrap,
        security=kafka_security(settings),
        environment=settings.environment,
        batch_size=settings.relay_batch_size,
        idle_seconds=settings.relay_idle_seconds,
        own_topics=own_topics,
        check_before_each_batch=check_before_each_batch,
    )


def _subscribe(
    kafka: KafkaBroker, spec: ServiceSpec, runtime: ServiceRuntime
) -> list[BackgroundJob]:
    """One batch consumer for all subscribed topics: each batch goes to every projector in one
    transaction per projector, then to the policy event by event, in delivery order
    (chassis.consumer). Returns its background jobs: held streams tried again, and the check
    that finds what the group skipped when the broker forgot (decision 0027).

    A commit per event capped a projector at a few hundred events/s; a batch shares one.
    aiokafka returns whatever it has fetched as soon as it has any, so a batch never waits to
    fill up: live events still go through one by one when they come one by one.
    """
    consumer = BatchConsumer(runtime, spec.on_event)
    subscriber = kafka.subscriber(
        *spec.subscribes,
        batch=True,
        max_records=500,
        # How long an empty poll waits; FastStream then sleeps as long again, deaf to new
        # events, so this bounds the latency an idle consumer adds (a poll with records
        # available returns them at once).
        batch_timeout_ms=20,
        fetch_max_wait_ms=runtime.settings.kafka_fetch_max_wait_ms,
        group_id=spec.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        # Each record on its own: one that is not an envelope is refused, not the batch.
        decoder=decode_batch,
        title=f"{spec.name}:consume",
        description=f"The {spec.name} service's projectors and policies.",
    )
    recovery = ConsumerRecovery(subscriber, lambda: runtime.projectors)
    lag = runtime.consumer_lag = ConsumerLag(subscriber)

    @subscriber
    async def on_events(events: list[EventEnvelope | None], message: KafkaMessage) -> None:
        records = message.raw_message
        assert isinstance(records, tuple), "a batch subscriber receives a tuple of records"
        # Refused events (a type from a topic not its owner's, a key or header that
        # disagrees) go no further: no projector records their stream version, no policy
        # acts; their offsets are committed with the batch (decision 0021).
        admitted = [
            (record, event, headers)
            for record, event, headers in zip(records, events, message.batch_headers, strict=True)
            if admit(spec.name, record, event) and event is not None
        ]
        await consumer.handle(admitted)
        recovery.handled(records)
        lag.handled(records, ((record, event) for record, event, _ in admitted))

    async def recover(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
        await recovery.run(stop)

    return [consumer.retry_held_streams, recover]


def _check(answer: object) -> str:
    if isinstance(answer, BaseException):
        return f"unavailable: {type(answer).__name__}"
    return "ok" if answer is not False else "unavailable"


def _health_router(service: str, kafka: KafkaBroker, sampler: MetricsSampler) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and the broker answer")
    async def readyz(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        pool = runtime.require_pool()
        database, broker = await asyncio.gather(
            answer_within(pool.fetchval("SELECT 1"), PROBE_SECONDS),
            answer_within(kafka.ping(timeout=PROBE_SECONDS), PROBE_SECONDS),
        )
        checks = {"database": _check(database), "broker": _check(broker)}
        ready = all(value == "ok" for value in checks.values())
        if checks["database"] == "ok":
            await sampler.sample(fresh=True)  # the relays' backlogs and the held streams
        details = _readiness_details(runtime, sampler)
        # Shown and measured, never a reason to leave the load balancer: a standby relay
        # waits for the lock, a consumer behind is catching up (decision 0040).
        passed = {name: value == "ok" for name, value in checks.items()}
        if runtime.relay is not None or runtime.outbox_relay is not None:
            passed["relay"] = all(
                relay.running for relay in (runtime.relay, runtime.outbox_relay) if relay
            )
        if runtime.consumer_lag is not None:
            passed["consumer"] = runtime.consumer_lag.started
        for check, ok in passed.items():
            READY.labels(service, check).set(1 if ok else 0)
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks, "details": details},
            status_code=200 if ready else 503,
        )

    return router


def _readiness_details(runtime: ServiceRuntime, sampler: MetricsSampler) -> dict[str, object]:
    """Each relay (its role and backlog), the consumer's lag in all and per projection, and
    the streams each projection holds back."""
    details: dict[str, object] = {}
    for key, relay in (("relay", runtime.relay), ("outbox_relay", runtime.outbox_relay)):
        if relay is not None:
            backlog = sampler.backlogs.get(relay.name)
            details[key] = {
                **relay.status(),
                "backlog_events": None if backlog is None else backlog.events,
                "backlog_seconds": None if backlog is None else backlog.seconds,
            }
    if runtime.consumer_lag is not None:
        lag = runtime.consumer_lag.status()
        # One consumer feeds every projection of the service, batch by batch: each is as far
        # behind as the consumer (what one holds back is in dead_lettered_streams).
        projections = {p.projection.name: lag for p in runtime.projectors}
        details["consumer_lag"] = {**lag, "projections": projections}
    # A held stream is one path's events waiting for an upgrade, and every other request is
    # served (decision 0027).
    if sampler.held is not None:
        details["dead_lettered_streams"] = sampler.held
    return details
