"""The national year: seeded, every area's municipalities, events the contracts accept, written
into the services' stores, published by their relays and read by reporting's projections."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from chassis.event_store import create_pool
from chassis.migrate import upgrade_async
from chassis.projector import Projector
from chassis.rebuild import replay_topics
from contracts.envelope import EventEnvelope
from contracts.reference.municipalities import register
from contracts.registry import parse_payload
from deploy.test_infrastructure import TestInfrastructure
from services.reporting.app import SPEC as REPORTING
from simulator.national import Append, Decider, NationalSpec, national_clients, shares
from simulator.national_run import Target, fresh_stores, publish, stored_events, write_year
from simulator.run import course_shape

AREAS = ("kanta-hame", "keski-pohjanmaa")  # 11 and 8 municipalities
END = date(2026, 11, 30)


def year(seed: int, paths: int = 40) -> list[Append]:
    spec = NationalSpec(paths=paths, end=END, seed=seed, tenants=AREAS)
    decider = Decider(spec.seed, spec.end)
    return [a for client in national_clients(spec, course_shape()) for a in decider.appends(client)]


def fingerprint(envelopes: list[EventEnvelope]) -> list[str]:
    return [e.model_dump_json() for e in envelopes]


def test_the_same_seed_gives_the_same_events_ids_included() -> None:
    first, again, other = year(2026), year(2026), year(7)
    flat = [e for a in first for e in a.envelopes]
    assert fingerprint(flat) == fingerprint([e for a in again for e in a.envelopes])
    assert fingerprint(flat) != fingerprint([e for a in other for e in a.envelopes])
    assert len({e.event_id for e in flat}) == len(flat)


def test_every_area_and_each_of_its_municipalities_has_paths() -> None:
    opened = [e for a in year(2026) for e in a.envelopes if e.event_type == "PathwayOpened"]
    by_tenant: dict[str, set[str]] = {}
    for envelope in opened:
        by_tenant.setdefault(envelope.tenant, set()).add(envelope.payload["municipality"])
    assert by_tenant == {tenant: {m.code for m in register().of_tenant(tenant)} for tenant in AREAS}


def test_all_22_organisers_share_the_paths_by_residents() -> None:
    counts = shares(NationalSpec(paths=50_000, end=END))
    assert len(counts) == 22
    assert sum(counts.values()) == 50_000
    assert counts["helsinki"] > counts["pirkanmaa"] > counts["kanta-hame"] > counts["kainuu"]


def test_the_events_pass_the_contracts_and_stream_versions_follow_each_other() -> None:
    versions: dict[tuple[str, str], int] = {}
    kinds: Counter[str] = Counter()
    for append in year(2026):
        for envelope in append.envelopes:
            parse_payload(EventEnvelope.model_validate_json(envelope.model_dump_json()))
            key = (append.store, envelope.stream_id)
            assert envelope.stream_version == versions.get(key, 0) + 1
            versions[key] = envelope.stream_version
            assert UUID(str(envelope.event_id)).version == 7
            kinds[envelope.event_type] += 1
    for kind in ("PathwayOpened", "PlanStarted", "WeekOpened", "TaskAnswered", "OutcomeRecorded"):
        assert kinds[kind] > 0, kind


async def test_written_to_the_stores_published_and_reported_by_area(
    infrastructure: TestInfrastructure,
) -> None:
    target = Target(infrastructure.admin_dsn, infrastructure.kafka_bootstrap)
    spec = NationalSpec(paths=30, end=END, seed=4242, tenants=AREAS)
    first = await fresh_stores(target, "national_test")
    written = await write_year(spec, first, show_progress=False)
    again = await fresh_stores(target, "national_test")
    await write_year(spec, again, show_progress=False)
    stored, stored_again = await stored_events(first), await stored_events(again)
    assert {s: len(e) for s, e in stored.items()} == written.events
    for store in stored:
        assert fingerprint(stored[store]) == fingerprint(stored_again[store])

    await publish(target, first, written.events, give_up_after=120)
    reporting = await infrastructure.create_database("national_reporting")
    await upgrade_async(reporting, REPORTING.migrations)
    pool = await create_pool(reporting)
    try:
        projectors = [Projector(pool, projection) for projection in REPORTING.projections]
        await replay_topics(target.bootstrap, REPORTING.subscribes, projectors, 120)
        ours = [UUID(e.stream_id) for e in stored["enrolment"] if e.event_type == "PathwayOpened"]
        rows = await pool.fetch(
            "SELECT tenant, count(*) AS paths, count(DISTINCT municipality) AS places,"
            " sum(answers) AS answers FROM report_paths WHERE pathway_id = ANY($1::uuid[])"
            " GROUP BY tenant",
            ours,
        )
    finally:
        await pool.close()
    figures = {row["tenant"]: row for row in rows}
    assert set(figures) == set(AREAS)
    assert sum(row["paths"] for row in rows) == 30
    assert all(row["answers"] > 0 for row in rows)
    assert figures["keski-pohjanmaa"]["places"] == 8
