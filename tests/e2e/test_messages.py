"""A path's thread between its client and their counselors (decision 0041), over the wire:
who may write and read it, unread counts and the caseload's flag, the access log, the ended
path, the content-free event on Kafka (internal and the tenant's topic) and erasure."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import GUIDANCE_EVENTS, tenant_topic
from deploy.system import RunningSystem
from services.reporting.domain.tenant_events import path_ref
from services.reporting.settings import ReportingSettings
from tests.support.api import erase_client, open_path_body, wait_for_plan
from tests.support.identities import TENANT, IdentityFactory, Person
from tests.support.sign_in import sign_in
from tests.support.waiting import eventually

TIMEOUT = httpx.Timeout(10.0)


@dataclass(frozen=True)
class Thread:
    pathway_id: str
    client_ref: str
    client: Person
    counselor: Person

    def url(self, system: RunningSystem, rest: str = "") -> str:
        return f"{system.urls['guidance']}/pathways/{self.pathway_id}/messages{rest}"


def _open(system: RunningSystem, identities: IdentityFactory) -> Thread:
    counselor = identities.staff("counselor")
    client = identities.client()
    opened = httpx.post(
        f"{system.urls['enrolment']}/pathways",
        json=open_path_body(client),
        headers={**counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=TIMEOUT,
    )
    assert opened.status_code == 201, opened.text
    thread = Thread(opened.json()["pathway_id"], opened.json()["client_ref"], client, counselor)
    wait_for_plan(system, client)

    def guidance_knows_the_client() -> bool:
        response = httpx.get(thread.url(system, "/unread"), headers=client.headers, timeout=10)
        return response.status_code == 200

    eventually(guidance_knows_the_client, what="the path in guidance's caseload")
    return thread


@pytest.fixture(scope="module")
def thread(system: RunningSystem, identities: IdentityFactory) -> Iterator[Thread]:
    yield _open(system, identities)


def write(system: RunningSystem, thread: Thread, who: Person, text: str) -> httpx.Response:
    return httpx.post(
        thread.url(system),
        json={"text": text},
        headers={**who.headers, "Idempotency-Key": str(uuid4())},
        timeout=TIMEOUT,
    )


def unread(system: RunningSystem, thread: Thread, who: Person) -> int:
    response = httpx.get(thread.url(system, "/unread"), headers=who.headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    count: int = response.json()["unread"]
    return count


def caseload_flags(system: RunningSystem, thread: Thread) -> list[str]:
    response = httpx.get(
        f"{system.urls['guidance']}/caseload", headers=thread.counselor.headers, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    [row] = [row for row in response.json() if row["pathway_id"] == thread.pathway_id]
    flags: list[str] = row["flags"]
    return flags


def test_the_client_asks_the_counselor_answers_and_each_sees_what_is_new(
    system: RunningSystem, thread: Thread, identities: IdentityFactory
) -> None:
    key = str(uuid4())
    headers = {**thread.client.headers, "Idempotency-Key": key}
    body = {"text": "  Mitä työkokeilu tarkoittaa?  "}
    first = httpx.post(thread.url(system), json=body, headers=headers, timeout=TIMEOUT)
    assert first.status_code == 201, first.text
    retried = httpx.post(thread.url(system), json=body, headers=headers, timeout=TIMEOUT)
    assert (retried.status_code, retried.json()) == (200, first.json())  # one message

    assert unread(system, thread, thread.counselor) == 1
    assert unread(system, thread, thread.client) == 0
    assert "message_waiting" in caseload_flags(system, thread)

    read = httpx.get(thread.url(system), headers=thread.counselor.headers, timeout=TIMEOUT)
    assert read.status_code == 200, read.text
    assert read.json()["unread"] == 1
    [asked] = read.json()["items"]
    assert (asked["from_role"], asked["text"]) == ("client", "Mitä työkokeilu tarkoittaa?")
    assert unread(system, thread, thread.counselor) == 0
    assert "message_waiting" not in caseload_flags(system, thread)

    answered = write(system, thread, thread.counselor, "Työpaikalla kokeilemista, kerron lisää.")
    assert answered.status_code == 201, answered.text
    assert unread(system, thread, thread.client) == 1
    # The week page tells the client (rendered by tasks from guidance's count).
    session = sign_in(system, "tasks", identity_code=thread.client.identity_code)
    week = session.get("/")
    assert week.status_code == 200
    assert "Sinulle on uusia viestejä ohjaajalta: 1" in week.text
    assert 'href="/viestit"' in week.text

    mine = httpx.get(thread.url(system), headers=thread.client.headers, timeout=TIMEOUT)
    assert [m["from_role"] for m in mine.json()["items"]] == ["client", "counselor"]
    assert unread(system, thread, thread.client) == 0
    assert "Sinulle on uusia viestejä" not in session.get("/").text

    # Only the path's own client and its counselors: the tenant's admin and manager are
    # refused by role, another counselor or client as if the path did not exist.
    for who, status in (
        (identities.staff("admin"), 403),
        (identities.staff("manager"), 403),
        (identities.staff("counselor"), 404),
        (identities.client(), 404),
    ):
        assert httpx.get(thread.url(system), headers=who.headers).status_code == status
        assert write(system, thread, who, "Hei").status_code == status


def test_every_counselors_read_is_in_the_access_log_and_the_clients_is_not(
    system: RunningSystem, thread: Thread, identities: IdentityFactory
) -> None:
    admin = identities.staff("admin")

    def reads() -> list[str]:
        log = httpx.get(
            f"{system.urls['guidance']}/access-log",
            params={"client_ref": thread.client_ref},
            headers=admin.headers,
            timeout=TIMEOUT,
        )
        assert log.status_code == 200, log.text
        return [entry["reader"] for entry in log.json()["items"] if entry["what"] == "messages"]

    before = reads()
    assert httpx.get(thread.url(system), headers=thread.client.headers).is_success
    assert reads() == before
    assert httpx.get(thread.url(system), headers=thread.counselor.headers).is_success
    assert reads() == [*before, thread.counselor.subject]


async def _raw_records(bootstrap: str, topic: str) -> list[bytes]:
    """Every record on the topic now, keys and values (read from the start, no group)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer.topics()  # metadata not yet fetched
            found = consumer.partitions_for_topic(topic) or ()
            partitions = [TopicPartition(topic, p) for p in found]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[bytes] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                records += [(m.key or b"") + b" " + (m.value or b"") for m in messages]
        return records
    finally:
        await consumer.stop()


def test_the_words_never_travel_on_kafka_only_that_a_message_waits(
    system: RunningSystem, thread: Thread
) -> None:
    bootstrap = system.infrastructure.kafka.bootstrap_servers
    ref = path_ref(
        ReportingSettings(environment="development").public_ref(),
        TENANT,
        UUID(thread.pathway_id),
    )

    def waiting(topic: str, *needles: bytes) -> list[bytes]:
        records = asyncio.run(_raw_records(bootstrap, topic))
        return [record for record in records if all(n in record for n in needles)]

    internal = (GUIDANCE_EVENTS, b"MessageWaiting", thread.pathway_id.encode())
    told = (tenant_topic(TENANT), b"message_waiting", ref.encode())
    before = (len(waiting(*internal)), len(waiting(*told)))
    marker = f"SALAINEN-{uuid4().hex[:8]}"
    assert write(system, thread, thread.counselor, f"Tapaaminen {marker}").status_code == 201

    def both_arrived() -> tuple[int, int] | None:
        now = (len(waiting(*internal)), len(waiting(*told)))
        return now if now[0] > before[0] and now[1] > before[1] else None

    eventually(both_arrived, what="MessageWaiting on guidance's topic and the tenant's")
    for topic in (GUIDANCE_EVENTS, tenant_topic(TENANT)):
        assert waiting(topic, marker.encode()) == []
        assert waiting(topic, b"tarkoittaa") == []  # the client's words, first test
    # The client's own message is not told to the county app: one per counselor's message.
    counselors = len(
        [
            m
            for m in httpx.get(thread.url(system), headers=thread.client.headers).json()["items"]
            if m["from_role"] == "counselor"
        ]
    )
    assert len(waiting(*told)) == counselors


async def _texts_of(dsn: str, pathway_id: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT body FROM path_messages WHERE pathway_id = $1::uuid", pathway_id
        )
    finally:
        await connection.close()
    return [row["body"] for row in rows]


def test_an_ended_path_refuses_messages_and_erasure_removes_them(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    thread = _open(system, identities)
    assert write(system, thread, thread.client, "Ennen loppua").status_code == 201
    completed = httpx.post(
        f"{system.urls['enrolment']}/pathways/{thread.pathway_id}/complete",
        json={},
        headers={**thread.counselor.headers, "Idempotency-Key": str(uuid4())},
        timeout=TIMEOUT,
    )
    assert completed.status_code == 200, completed.text

    def ended_in_guidance() -> bool:
        response = httpx.get(
            f"{system.urls['guidance']}/caseload",
            headers=thread.counselor.headers,
            timeout=TIMEOUT,
        )
        rows = [row for row in response.json() if row["pathway_id"] == thread.pathway_id]
        return bool(rows[0]["status"] == "completed")

    # Until the completion reaches guidance, its caseload says the path runs: then it refuses.
    eventually(ended_in_guidance, what="guidance knows the path ended")
    response = write(system, thread, thread.counselor, "Vielä yksi asia")
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "guidance.messages_path_ended"
    assert write(system, thread, thread.client, "Entä nyt?").status_code == 409
    # What was written stays readable.
    read = httpx.get(thread.url(system), headers=thread.counselor.headers, timeout=TIMEOUT)
    assert [m["text"] for m in read.json()["items"]] == ["Ennen loppua"]

    dsn = system.infrastructure.postgres.dsn_for("guidance")
    assert asyncio.run(_texts_of(dsn, thread.pathway_id)) == ["Ennen loppua"]
    erase_client(system, identities.staff("admin"), thread.client_ref)

    def gone() -> bool:
        return asyncio.run(_texts_of(dsn, thread.pathway_id)) == []

    eventually(gone, what="the thread erased with the client")
