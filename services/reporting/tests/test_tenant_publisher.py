"""The tenant's path events in reporting's outbox, against a real PostgreSQL: an erasure takes
the path's earlier messages out and nothing of the path comes in after it (decision 0032)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from uuid import uuid4

import asyncpg
import pytest

from chassis.event_store import GlobalPosition
from chassis.outbox import Outbox
from chassis.versioned_keys import VersionedKey
from contracts.envelope import Actor, EventEnvelope
from contracts.events.base import EventModel
from contracts.events.enrolment import ClientDataErased
from contracts.events.tasks import WeekOpened
from contracts.public import TenantPathEvent
from contracts.registry import make_envelope
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.adapters.tenant_publisher import TenantPublisher
from services.reporting.tests.database import reporting_pool

KEY = VersionedKey(1, b"test-reference-key")


@pytest.fixture
async def pool(infrastructure: TestInfrastructure) -> AsyncIterator[asyncpg.Pool]:
    async with reporting_pool(infrastructure) as pool:
        yield pool


def _envelope(event: EventModel, version: int) -> EventEnvelope:
    return make_envelope(
        event,
        stream_id=str(getattr(event, "pathway_id", "")),
        stream_version=version,
        tenant="kanta-hame",
        correlation_id=uuid4(),
        causation_id=None,
        actor=Actor(role="system", id="test"),
    )


async def _kept(outbox: Outbox) -> list[str]:
    stored = await outbox.read_all(GlobalPosition(0, 0))
    return [TenantPathEvent.model_validate_json(s.message.value).event_type for s in stored]


async def test_an_erased_paths_messages_leave_the_outbox_and_a_late_redelivery_stays_out(
    pool: asyncpg.Pool,
) -> None:
    outbox = Outbox(pool)
    publisher = TenantPublisher(KEY, outbox)
    pathway_id, other = uuid4(), uuid4()
    weeks = [
        (
            WeekOpened(
                pathway_id=p, client_ref="c-1", week=1, opened_on=date(2026, 9, 7), early=False
            ),
            p,
        )
        for p in (pathway_id, other)
    ]
    envelopes = [_envelope(week, 2) for week, _ in weeks]
    for envelope, (week, _) in zip(envelopes, weeks, strict=True):
        await publisher.publish_event(envelope, week)
        await publisher.publish_event(envelope, week)  # a redelivery adds nothing
    assert await _kept(outbox) == ["week_opened", "week_opened"]

    erased = ClientDataErased(
        pathway_id=pathway_id, client_ref="c-1", erased_at=datetime(2027, 3, 1, tzinfo=UTC)
    )
    await publisher.publish_event(_envelope(erased, 9), erased)
    # The other path's week stays; this path's is replaced by its forgetting.
    assert await _kept(outbox) == ["week_opened", "path_forgotten"]
    # The week delivered again later (a consumer re-reading after an outage) stays out.
    await publisher.publish_event(envelopes[0], weeks[0][0])
    assert await _kept(outbox) == ["week_opened", "path_forgotten"]
