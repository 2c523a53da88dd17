"""Forged and misplaced events are refused before anything acts on them (issue 12, item 4).

Each forgery the review named is written with a raw producer onto a topic the forger could
write (its own), as a compromised service would: a `ClientDataErased` that would delete a
client's words, a `CounselorAssigned` that would grant a counselor a path, a `PathwayOpened`
with a large path id that would take over a client's plan, and an event at the stream's next
version that would make the genuine one be dropped as a repeat. Each is refused (the refusal
and its reason are in the consumer's log), changes nothing, and consumes no stream version.
Without the gate (chassis/event_admission.py) every one of these tests fails.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from chassis.event_admission import Refusal, refusal
from chassis.event_store import DbConnection
from chassis.kafka_wire import encode_event, event_headers
from chassis.projector import Projection, Projector
from chassis.rebuild import replay_topics
from contracts.envelope import Actor, EventEnvelope
from contracts.events.enrolment import ClientDataErased, CounselorAssigned, PathwayPaused
from contracts.events.tasks import TaskCompleted
from contracts.registry import make_envelope
from contracts.topics import ENROLMENT_EVENTS, GUIDANCE_EVENTS, TASKS_EVENTS
from deploy.system import RunningSystem
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import IdentityFactory, Person
from tests.support.waiting import eventually

FORGER = Actor(role="system", id="enrolment")  # what a forger would claim to be
FORGED_AT = datetime.now(UTC)


# --- The gate itself, without a broker ------------------------------------------------------


def _envelope(event: Any, stream: UUID, version: int = 1) -> EventEnvelope:
    return make_envelope(
        event,
        stream_id=str(stream),
        stream_version=version,
        tenant="kanta-hame",
        correlation_id=uuid4(),
        causation_id=None,
        actor=FORGER,
    )


def test_an_event_is_accepted_only_from_its_owner_s_topic_with_its_own_key() -> None:
    path = uuid4()
    assigned = _envelope(CounselorAssigned(pathway_id=path, counselor_id="x"), path)
    key = str(path).encode()
    headers = event_headers(assigned)
    assert refusal(ENROLMENT_EVENTS, key, headers, assigned) is None
    for topic in (TASKS_EVENTS, GUIDANCE_EVENTS, "digipolku.somewhere.events"):
        assert refusal(topic, key, headers, assigned) is Refusal.NOT_OWNER
    assert refusal(ENROLMENT_EVENTS, None, headers, assigned) is Refusal.KEY
    assert refusal(ENROLMENT_EVENTS, str(uuid4()).encode(), headers, assigned) is Refusal.KEY
    other_path = _envelope(CounselorAssigned(pathway_id=uuid4(), counselor_id="x"), path)
    assert refusal(ENROLMENT_EVENTS, key, headers, other_path) is Refusal.STREAM
    lying = [(k, b"pirkanmaa" if k == "tenant" else v) for k, v in headers]
    assert refusal(ENROLMENT_EVENTS, key, lying, assigned) is Refusal.HEADERS
    # A tasks event is tasks': the same gate lets it through only on the tasks topic.
    completed = _envelope(
        TaskCompleted(pathway_id=path, client_ref="r", task_id="w01-t1", week=1), path
    )
    assert refusal(TASKS_EVENTS, key, event_headers(completed), completed) is None
    assert refusal(ENROLMENT_EVENTS, key, event_headers(completed), completed) is Refusal.NOT_OWNER


# --- Forgeries against the running system ---------------------------------------------------


async def _forge(
    bootstrap: str, topic: str, envelope: EventEnvelope, key: str, headers: list[tuple[str, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, value=encode_event(envelope), key=key.encode(), headers=headers
        )
    finally:
        await producer.stop()


def forge(
    system: RunningSystem,
    topic: str,
    envelope: EventEnvelope,
    key: str | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> EventEnvelope:
    """Write a forged event onto a topic, as a compromised service (or anyone) could; key and
    headers are the relay's (the stream id, the envelope's own) unless given."""
    asyncio.run(
        _forge(
            system.infrastructure.kafka.bootstrap_servers,
            topic,
            envelope,
            envelope.stream_id if key is None else key,
            event_headers(envelope) if headers is None else headers,
        )
    )
    return envelope


def _log_lines(system: RunningSystem, service: str) -> Iterator[dict[str, Any]]:
    for line in system.log_of(service).read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue


def refusal_logged(system: RunningSystem, service: str, envelope: EventEnvelope) -> str:
    """Wait until `service` has logged the refusal of this event; returns its reason."""

    def logged() -> str | None:
        for line in _log_lines(system, service):
            if line.get("event") == "event refused" and line.get("event_id") == str(
                envelope.event_id
            ):
                return str(line["reason"])
        return None

    return eventually(logged, timeout=30, what=f"{service} logs the refusal of the forgery")


async def _fetch(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


def rows(system: RunningSystem, database: str, query: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(system.infrastructure.postgres.dsn_for(database), query, *args))


def store_version(system: RunningSystem, database: str, pathway_id: str) -> int:
    found = rows(
        system,
        database,
        "SELECT coalesce(max(stream_version), 0) AS v FROM events WHERE stream_id = $1",
        pathway_id,
    )
    return int(found[0]["v"])


def wait_until_applied(
    system: RunningSystem, consumer: str, topic: str, pathway_id: str, version: int
) -> None:
    """Wait until every projection of `consumer` has applied the stream up to `version`, so
    that a forgery at `version + 1` would be the very next event it applies."""

    def caught_up() -> bool:
        found = rows(
            system,
            consumer,
            "SELECT min(stream_version) AS v, count(*) AS n FROM projection_tracking"
            " WHERE source = $1 AND stream_id = $2",
            topic,
            pathway_id,
        )
        return bool(found[0]["n"]) and found[0]["v"] == version

    eventually(caught_up, what=f"{consumer} has applied {topic} of the path to v{version}")


def open_a_path(
    system: RunningSystem, counselor: Person, client: Person
) -> tuple[str, str, dict[str, Any]]:
    """(pathway id, client_ref, the client's plan) of a newly opened path."""
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    plan = wait_for_plan(system, client)
    return str(opened.json()["pathway_id"]), str(opened.json()["client_ref"]), plan


def answer_first_task(
    system: RunningSystem, client: Person, pathway_id: str, plan: dict[str, Any], text: str
) -> str:
    task_id = plan["weeks"][0]["tasks"][0]["task_id"]
    answered = httpx.post(
        f"{system.urls['tasks']}/pathways/{pathway_id}/tasks/{task_id}/answers",
        json={"text": text},
        headers={**client.headers, "Idempotency-Key": str(uuid4())},
        timeout=10,
    )
    assert answered.status_code == 201, answered.text
    return str(answered.json()["answer_id"])


@pytest.fixture
def counselor(identities: IdentityFactory) -> Person:
    return identities.staff("counselor")


def test_a_forged_erasure_on_the_guidance_topic_deletes_nothing(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    pathway_id, client_ref, plan = open_a_path(system, counselor, client)
    words = f"VASTAUS-{uuid4().hex[:10]}"
    answer_first_task(system, client, pathway_id, plan, words)

    def answer_kept() -> bool:
        found = rows(system, "tasks", "SELECT t::text AS row FROM answer_texts t")
        return any(words in row["row"] for row in found)

    assert eventually(answer_kept, what="the answer's text in tasks")
    # Guidance writes this topic; the next guidance version of the path is what it would take.
    forged = forge(
        system,
        GUIDANCE_EVENTS,
        _envelope(
            ClientDataErased(
                pathway_id=UUID(pathway_id), client_ref=client_ref, erased_at=FORGED_AT
            ),
            UUID(pathway_id),
            store_version(system, "guidance", pathway_id) + 1,
        ),
    )
    for consumer in ("tasks", "guidance", "reporting"):  # every reader of guidance's topic
        assert refusal_logged(system, consumer, forged) == Refusal.NOT_OWNER.value
    assert answer_kept(), "a forged erasure deleted the client's answer"
    seen = rows(
        system, "guidance", "SELECT erased FROM answers_seen WHERE pathway_id = $1", pathway_id
    )
    assert seen and not any(row["erased"] for row in seen)


def test_a_forged_counselor_assignment_grants_no_access(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    intruder = identities.staff("counselor")
    pathway_id, _, _ = open_a_path(system, counselor, client)
    outcomes = f"{system.urls['guidance']}/pathways/{pathway_id}/outcomes"
    assert httpx.get(outcomes, headers=counselor.headers, timeout=10).status_code == 200
    assert httpx.get(outcomes, headers=intruder.headers, timeout=10).status_code == 404
    # Written on the tasks topic at the version guidance would apply next from it.
    version = store_version(system, "tasks", pathway_id)
    wait_until_applied(system, "guidance", TASKS_EVENTS, pathway_id, version)
    forged = forge(
        system,
        TASKS_EVENTS,
        _envelope(
            CounselorAssigned(pathway_id=UUID(pathway_id), counselor_id=intruder.subject),
            UUID(pathway_id),
            version + 1,
        ),
    )
    assert refusal_logged(system, "guidance", forged) == Refusal.NOT_OWNER.value
    assert httpx.get(outcomes, headers=intruder.headers, timeout=10).status_code == 404
    caseload = httpx.get(f"{system.urls['guidance']}/caseload", headers=intruder.headers)
    assert pathway_id not in caseload.text


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ("key of another path", Refusal.KEY),
        ("payload of another path", Refusal.STREAM),
        ("headers of another tenant", Refusal.HEADERS),
    ],
)
def test_a_misaddressed_assignment_even_on_enrolment_s_topic_is_refused(
    system: RunningSystem,
    identities: IdentityFactory,
    counselor: Person,
    variant: str,
    reason: Refusal,
) -> None:
    client = identities.client()
    intruder = identities.staff("counselor")
    pathway_id, _, _ = open_a_path(system, counselor, client)
    version = store_version(system, "enrolment", pathway_id)
    wait_until_applied(system, "guidance", ENROLMENT_EVENTS, pathway_id, version)
    assignment = CounselorAssigned(pathway_id=UUID(pathway_id), counselor_id=intruder.subject)
    envelope = _envelope(assignment, UUID(pathway_id), version + 1)
    if variant == "key of another path":
        forged = forge(system, ENROLMENT_EVENTS, envelope, key=str(uuid4()))
    elif variant == "payload of another path":
        # A fresh stream is always at its next version: without the check, its payload
        # could name any path and be applied to it.
        fresh = _envelope(assignment, uuid4(), 1)
        forged = forge(system, ENROLMENT_EVENTS, fresh)
    else:
        lying = [(k, b"pirkanmaa" if k == "tenant" else v) for k, v in event_headers(envelope)]
        forged = forge(system, ENROLMENT_EVENTS, envelope, headers=lying)
    assert refusal_logged(system, "guidance", forged) == reason.value
    outcomes = f"{system.urls['guidance']}/pathways/{pathway_id}/outcomes"
    assert httpx.get(outcomes, headers=intruder.headers, timeout=10).status_code == 404


def test_a_forged_opening_with_a_large_path_id_does_not_take_over_the_plan(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    pathway_id, _, plan = open_a_path(system, counselor, client)
    genuine = rows(
        system,
        "enrolment",
        "SELECT payload, schema_version FROM events"
        " WHERE stream_id = $1 AND event_type = 'PathwayOpened'",
        pathway_id,
    )[0]
    # The plan list is ordered by path id, largest first: this id would win.
    takeover = f"ffffffff-ffff-4fff-bfff-{uuid4().hex[:12]}"
    payload = {**json.loads(genuine["payload"]), "pathway_id": takeover}
    forged = forge(
        system,
        GUIDANCE_EVENTS,  # tasks reads guidance's topic, which guidance can write
        EventEnvelope(
            event_type="PathwayOpened",
            schema_version=genuine["schema_version"],
            stream_id=takeover,
            stream_version=1,
            occurred_at=FORGED_AT,
            tenant="kanta-hame",
            correlation_id=uuid4(),
            actor=FORGER,
            payload=payload,
        ),
    )
    assert refusal_logged(system, "tasks", forged) == Refusal.NOT_OWNER.value
    now = httpx.get(f"{system.urls['tasks']}/me/plan", headers=client.headers, timeout=10)
    assert now.status_code == 200, now.text
    assert now.json()["pathway_id"] == pathway_id == plan["pathway_id"]
    assert not rows(system, "tasks", "SELECT 1 FROM events WHERE stream_id = $1", takeover)


def test_a_forgery_at_the_next_version_does_not_stop_the_genuine_event(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    pathway_id, _, plan = open_a_path(system, counselor, client)
    version = store_version(system, "tasks", pathway_id)
    wait_until_applied(system, "guidance", TASKS_EVENTS, pathway_id, version)
    # An enrolment event on the tasks topic at the version tasks' next event will have.
    forged = forge(
        system,
        TASKS_EVENTS,
        _envelope(
            PathwayPaused(pathway_id=UUID(pathway_id), paused_on=date.today()),
            UUID(pathway_id),
            version + 1,
        ),
    )
    assert refusal_logged(system, "guidance", forged) == Refusal.NOT_OWNER.value
    assert refusal_logged(system, "reporting", forged) == Refusal.NOT_OWNER.value
    answer_id = answer_first_task(system, client, pathway_id, plan, "oikea vastaus")
    genuine = rows(
        system,
        "tasks",
        "SELECT event_type FROM events WHERE stream_id = $1 AND stream_version = $2",
        pathway_id,
        version + 1,
    )
    assert [row["event_type"] for row in genuine] == ["TaskAnswered"]  # at the forged version

    def guidance_saw_the_answer() -> bool:
        return bool(
            rows(system, "guidance", "SELECT 1 FROM answers_seen WHERE answer_id = $1", answer_id)
        )

    eventually(guidance_saw_the_answer, what="guidance applies the genuine event at v+1")
    status = rows(
        system, "guidance", "SELECT status FROM caseload WHERE pathway_id = $1", pathway_id
    )
    assert status[0]["status"] != "paused"


async def _replay_with_probe(
    system: RunningSystem, topic: str, probe_name: str
) -> list[EventEnvelope]:
    """Replay `topic` from its start into a projection that only notes what it is given."""
    given: list[EventEnvelope] = []

    async def note(connection: DbConnection, envelope: EventEnvelope) -> None:
        given.append(envelope)

    probe = Projection(probe_name, [], {"CounselorAssigned": note, "PathwayPaused": note})
    # Its tracking rows go to guidance's table under a name of its own, removed afterwards.
    pool = await asyncpg.create_pool(system.infrastructure.postgres.dsn_for("guidance"))
    try:
        projector = Projector(pool, probe, waits_for_rebuild=False)
        await replay_topics(
            system.infrastructure.kafka.bootstrap_servers, [topic], projector, service=probe_name
        )
        await pool.execute("DELETE FROM projection_tracking WHERE projection = $1", probe_name)
    finally:
        await pool.close()
    return given


def test_a_rebuild_refuses_the_forgeries_the_live_consumer_refused(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    pathway_id, _, _ = open_a_path(system, counselor, client)
    forged = forge(
        system,
        TASKS_EVENTS,
        _envelope(
            CounselorAssigned(pathway_id=UUID(pathway_id), counselor_id="staff-intruder"),
            UUID(pathway_id),
            store_version(system, "tasks", pathway_id) + 1,
        ),
    )
    assert refusal_logged(system, "guidance", forged) == Refusal.NOT_OWNER.value
    probe = f"forgery-probe-{uuid4().hex[:8]}"
    given = asyncio.run(_replay_with_probe(system, TASKS_EVENTS, probe))
    assert forged.event_id not in {envelope.event_id for envelope in given}
    # Counted in this process, under the replaying consumer's name (issue 16 serves /metrics).
    counted = REGISTRY.get_sample_value(
        "digipolku_refused_events_total",
        {"service": probe, "topic": TASKS_EVENTS, "reason": Refusal.NOT_OWNER.value},
    )
    assert counted is not None and counted >= 1


async def _send_raw(bootstrap: str, topic: str, value: bytes, key: str) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, value=value, key=key.encode())
        return sent.partition, sent.offset
    finally:
        await producer.stop()


def test_a_message_that_is_no_envelope_is_refused_and_the_group_moves_on(
    system: RunningSystem, identities: IdentityFactory, counselor: Person
) -> None:
    client = identities.client()
    pathway_id, _, plan = open_a_path(system, counselor, client)
    partition, offset = asyncio.run(
        _send_raw(
            system.infrastructure.kafka.bootstrap_servers,
            TASKS_EVENTS,
            b'{"not": "an envelope"}',
            pathway_id,
        )
    )

    def logged() -> str | None:
        for line in _log_lines(system, "guidance"):
            if (
                line.get("event") == "event refused"
                and line.get("topic") == TASKS_EVENTS
                and (line.get("partition"), line.get("offset")) == (partition, offset)
            ):
                return str(line["reason"])
        return None

    assert eventually(logged, what="guidance refuses the malformed message") == (
        Refusal.MALFORMED.value
    )
    # The batch that held it was not retried forever: the next genuine event applies.
    answer_id = answer_first_task(system, client, pathway_id, plan, "vastaus")
    eventually(
        lambda: rows(
            system, "guidance", "SELECT 1 FROM answers_seen WHERE answer_id = $1", answer_id
        ),
        what="guidance consumes on after the malformed message",
    )
