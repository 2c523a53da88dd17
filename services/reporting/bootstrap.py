"""Reporting's parts, made once when the service starts; requests and consumed events find
them on the runtime."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import structlog
from fastapi import Request

from chassis.clock import helsinki_today
from chassis.periodic import every
from chassis.policy import Policy, reacting
from chassis.service import ServiceRuntime, runtime_of
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from services.reporting.adapters.figures_cache import FiguresCache
from services.reporting.adapters.instrument_files import load_instruments
from services.reporting.adapters.statistics_publisher import publish_statistics_once
from services.reporting.adapters.tenant_publisher import TenantPublisher
from services.reporting.domain.facts import Instrument
from services.reporting.domain.tenant_events import TENANT_SOURCES
from services.reporting.settings import ReportingSettings

log = structlog.get_logger("reporting")


@dataclass(frozen=True)
class Reporting:
    # The instruments' item → area mapping (a bad file stops the start).
    instruments: dict[tuple[str, str], Instrument]
    tenant_events: TenantPublisher
    # The secret every path's record key is made with (the cell-key method, decision 0031).
    record_keys: VersionedKey
    # How often the monthly statistics are worked out again (decision 0032).
    statistics_seconds: float
    # Each group's figures while the tenant's rows have not moved (the API's and the pages').
    figures: FiguresCache = field(default_factory=FiguresCache)


async def bootstrap(runtime: ServiceRuntime) -> Reporting:
    settings = ReportingSettings()
    return Reporting(
        instruments=load_instruments(settings.instruments_dir),
        tenant_events=TenantPublisher(settings.public_ref(), runtime.require_outbox()),
        record_keys=settings.record_keys(),
        statistics_seconds=settings.statistics_seconds,
    )


def reporting(request: Request) -> Reporting:
    return runtime_of(request).parts_as(Reporting)


async def _publish(runtime: ServiceRuntime, envelope: EventEnvelope, event: EventModel) -> None:
    await runtime.parts_as(Reporting).tenant_events.publish_event(envelope, event)


# Decoded before publishing: a source event of a newer version than this service reads holds
# back only its path's events (dead letters, decision 0027), never drops one.
publish_tenant_events = Policy(
    "reporting-tenant-events", [reacting(model, _publish) for model in TENANT_SOURCES]
)


async def run_statistics_publisher(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    """Every tenant's monthly statistics, worked out again every `statistics_seconds`."""
    parts = runtime.parts_as(Reporting)

    async def publish() -> None:
        changed = await publish_statistics_once(
            runtime.require_pool(), runtime.require_outbox(), parts.record_keys, helsinki_today()
        )
        if changed:
            log.info("monthly statistics published", months=changed)

    await every(
        parts.statistics_seconds, stop, publish, failed="publishing the monthly statistics failed"
    )
