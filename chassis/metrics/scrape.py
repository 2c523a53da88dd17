"""GET /metrics: the gauges sampled at the scrape, then the registry in Prometheus' text format.

Sampled when asked, not by a timer: the consumer's lag is in memory; the relays' backlogs and
the held streams are a few index reads, done at most once per `SAMPLE_SECONDS` however many
scrapers ask, each within the probe deadline (a database that hangs leaves the last values
and does not hang the scrape).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

from chassis.consumer_lag import ConsumerLag
from chassis.dead_letters import held_stream_counts
from chassis.metrics.definitions import (
    HELD_STREAMS,
    METRICS_REGISTRY,
    PROJECTION_LAG_EVENTS,
    PROJECTION_LAG_SECONDS,
    RELAY_BACKLOG_EVENTS,
    RELAY_BACKLOG_SECONDS,
)
from chassis.metrics.http import METRICS_PATH
from chassis.metrics.relay_backlog import Backlog, BacklogSource, relay_backlog
from chassis.probes import PROBE_SECONDS, answer_within

SAMPLE_SECONDS = 1.0


@dataclass(frozen=True)
class SampledRelay:
    name: str
    source: BacklogSource


@dataclass
class Sampled:
    """What the service has to sample; filled in as its lifespan starts its parts."""

    service: str
    pool: Callable[[], asyncpg.Pool | None]
    relays: Callable[[], Sequence[SampledRelay]]
    consumer_lag: Callable[[], ConsumerLag | None]
    projections: Callable[[], Sequence[str]]


class MetricsSampler:
    def __init__(self, sampled: Sampled) -> None:
        self.sampled = sampled
        # The last sampled values, for readiness to show.
        self.backlogs: dict[str, Backlog] = {}
        self.held: dict[str, int] | None = None
        self._sampled_at = -1e9
        self._lock = asyncio.Lock()

    async def sample(self, *, fresh: bool = False) -> None:
        """Sample every gauge; the database's at most once per `SAMPLE_SECONDS`, unless
        `fresh` (readiness shows what is true now)."""
        self._sample_lag()
        async with self._lock:
            if not fresh and time.monotonic() - self._sampled_at < SAMPLE_SECONDS:
                return
            self._sampled_at = time.monotonic()
            pool = self.sampled.pool()
            if pool is not None:
                await asyncio.gather(self._sample_backlogs(pool), self._sample_held(pool))

    def _sample_lag(self) -> None:
        lag = self.sampled.consumer_lag()
        lags = None if lag is None else lag.by_tenant()
        if lags is None:
            return
        service = self.sampled.service
        for projection in self.sampled.projections() or [service]:
            for tenant, behind in lags.items():
                PROJECTION_LAG_EVENTS.labels(service, projection, tenant).set(behind.events)
                PROJECTION_LAG_SECONDS.labels(service, projection, tenant).set(behind.seconds)

    async def _sample_backlogs(self, pool: asyncpg.Pool) -> None:
        relays = self.sampled.relays()
        backlogs = await asyncio.gather(
            *(
                answer_within(relay_backlog(pool, relay.name, relay.source), PROBE_SECONDS)
                for relay in relays
            )
        )
        for relay, backlog in zip(relays, backlogs, strict=True):
            if isinstance(backlog, Backlog):
                self.backlogs[relay.name] = backlog
                RELAY_BACKLOG_EVENTS.labels(self.sampled.service, relay.name).set(backlog.events)
                RELAY_BACKLOG_SECONDS.labels(self.sampled.service, relay.name).set(backlog.seconds)

    async def _sample_held(self, pool: asyncpg.Pool) -> None:
        counts = await answer_within(_held_streams(pool), PROBE_SECONDS)
        if isinstance(counts, dict):
            # Every projection, held or not, so the operator sees what there is to watch.
            self.held = {**dict.fromkeys(self.sampled.projections(), 0), **counts}
            for consumer, streams in self.held.items():
                HELD_STREAMS.labels(self.sampled.service, consumer).set(streams)


async def _held_streams(pool: asyncpg.Pool) -> dict[str, int]:
    async with pool.acquire() as connection:
        return await held_stream_counts(connection)


def metrics_router(sampler: MetricsSampler) -> APIRouter:
    """/metrics, left out of the OpenAPI document: it is for Prometheus, not for clients.

    A plain Starlette route, not a FastAPI operation: it is neither a page (no session) nor
    the JSON API (no bearer token), and takes no parameters to validate."""
    router = APIRouter()

    async def metrics(request: Request) -> Response:
        await sampler.sample()
        # The format the scraper asks for (OpenMetrics, or the text format, 0.0.4 by default).
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(METRICS_REGISTRY), headers={"Content-Type": content_type})

    router.add_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
    return router
