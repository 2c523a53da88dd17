"""Reporting's parts, made once when the service starts; requests and consumed events find
them on the runtime."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from chassis.policy import Policy, reacting
from chassis.service import ServiceRuntime, runtime_of
from chassis.versioned_keys import VersionedKey
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from services.reporting.adapters.instrument_files import load_instruments
from services.reporting.adapters.public_publisher import PublicPublisher
from services.reporting.domain.facts import Instrument
from services.reporting.domain.public_events import PUBLIC_SOURCES
from services.reporting.settings import ReportingSettings


@dataclass(frozen=True)
class Reporting:
    # The instruments' item → area mapping (a bad file stops the start).
    instruments: dict[tuple[str, str], Instrument]
    public: PublicPublisher
    # The secret every path's record key is made with (the cell-key method, decision 0031).
    record_keys: VersionedKey


async def bootstrap(runtime: ServiceRuntime) -> Reporting:
    settings = ReportingSettings()
    return Reporting(
        instruments=load_instruments(settings.instruments_dir),
        public=PublicPublisher(
            settings.public_ref(), runtime.require_pool(), runtime.require_outbox()
        ),
        record_keys=settings.record_keys(),
    )


def reporting(request: Request) -> Reporting:
    return runtime_of(request).parts_as(Reporting)


async def _publish(runtime: ServiceRuntime, envelope: EventEnvelope, event: EventModel) -> None:
    await runtime.parts_as(Reporting).public.publish_event(envelope, event)


# Decoded before publishing: a source event of a newer version than this service reads holds
# back only its path's public events (dead letters, decision 0027), never drops one.
publish_public = Policy("reporting-public", [reacting(model, _publish) for model in PUBLIC_SOURCES])
