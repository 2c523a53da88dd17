"""Erasure leaves no link (issue 12, item 10; decision 0025).

A client's path is lived through over the APIs (an answer, the direction's reason, a meeting
request, feedback, a meeting note) and read by staff; then an admin erases the client. Afterwards no
table of the four databases, no message on any Kafka topic and no service's log holds the
identity code, the names, the written words, the token's subject, the vault's lookup hash or
the reference the old design computed from the identity code. Enrolment no longer finds the
person's reference, and the same person enrolled again gets a new one. Only enrolment holds
the pseudonym key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chassis.settings import ServiceSettings
from deploy.identity_codes import identity_code
from deploy.system import SERVICES, RunningSystem, keys_of, without_keys
from services.enrolment.settings import DEVELOPMENT_ONLY_PSEUDONYM_KEY
from services.reporting.settings import ReportingSettings
from tests.support.api import open_path_body, wait_for_plan
from tests.support.identities import TENANT, IdentityFactory, Person
from tests.support.waiting import eventually

# The key the old design hashed identity codes with, in every service (the development one).
OLD_PSEUDONYM_KEY = b"development-only-pseudonym-key"
# Text and JSON columns: where a name, a code or a hash could be written down.
SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "bytea")


def old_style_ref(code: str, tenant: str) -> str:
    """What client_ref was before decision 0025: anyone with the key computed it."""
    message = f"{tenant}:{code.strip().upper()}".encode()
    return "c-" + hmac.new(OLD_PSEUDONYM_KEY, message, hashlib.sha256).hexdigest()[:32]


def lookup_hash(code: str, tenant: str) -> str:
    """The vault's lookup hash under the development pseudonym key (`v1:…`)."""
    secret = DEVELOPMENT_ONLY_PSEUDONYM_KEY.split(":", 1)[1].encode()
    message = f"{tenant}:{code.strip().upper()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


async def columns_containing(dsn: str, needles: list[str]) -> list[str]:
    """Every text-like column value of every table that holds one of the needles."""
    connection = await asyncpg.connect(dsn)
    try:
        columns = await connection.fetch(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            " AND data_type = ANY($1::text[])",
            list(SEARCHED_TYPES),
        )
        found: list[str] = []
        for column in columns:
            schema, table, name = (
                column["table_schema"],
                column["table_name"],
                column["column_name"],
            )
            values = await connection.fetch(
                f'SELECT "{name}"::text AS value FROM "{schema}"."{table}"'
                f' WHERE "{name}" IS NOT NULL'
            )
            found += [
                f"{table}.{name}: {needle}"
                for row in values
                for needle in needles
                if needle in row["value"]
            ]
        return found
    finally:
        await connection.close()


async def every_message(bootstrap: str) -> list[bytes]:
    """Key, value and headers of every message on every topic, from the first offset."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        seen: list[bytes] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    seen.append(record.topic.encode())
                    seen.append(record.key or b"")
                    seen.append(record.value or b"")
                    seen += [value for _, value in record.headers]
        return seen
    finally:
        await consumer.stop()


def logs_containing(system: RunningSystem, needles: list[str]) -> list[str]:
    found = []
    for name in ("issuer", *SERVICES):
        text = Path(system.log_of(name)).read_text(errors="replace")
        found += [f"{name}.log: {needle}" for needle in needles if needle in text]
    return found


@dataclass(frozen=True)
class Lived:
    pathway_id: str
    client_ref: str
    words: dict[str, str]
    opening: dict[str, object]


def opening_fingerprint(body: dict[str, object]) -> str:
    """The idempotency record's fingerprint of the opening (chassis.commands): a SHA-256 of
    the request, name and identity code included, against which anyone can test a guess."""
    command = {"method": "POST", "path": "/pathways", "query": [], "body": body}
    canonical = json.dumps(command, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def keyed(person: Person) -> dict[str, str]:
    return {**person.headers, "Idempotency-Key": str(uuid4())}


def live_a_path(system: RunningSystem, client: Person, counselor: Person, marker: str) -> Lived:
    """Everything a client and their counselor write, and staff reading it."""
    words = {
        "answer": f"VASTAUS-{marker}",
        "reason": f"PERUSTELU-{marker}",
        "feedback": f"PALAUTE-{marker}",
        "note": f"MUISTIINPANO-{marker}",
    }
    enrolment, tasks, guidance = (system.urls[s] for s in ("enrolment", "tasks", "guidance"))
    body = open_path_body(client, first_name=f"Etu{marker}", last_name=f"Suku{marker}")
    opened = httpx.post(f"{enrolment}/pathways", json=body, headers=keyed(counselor))
    assert opened.status_code == 201, opened.text
    pathway_id, client_ref = opened.json()["pathway_id"], opened.json()["client_ref"]
    plan = wait_for_plan(system, client)
    first = plan["weeks"][0]["tasks"][0]
    answered = httpx.post(
        f"{tasks}/pathways/{pathway_id}/tasks/{first['task_id']}/answers",
        json={"text": words["answer"]},
        headers=keyed(client),
    )
    assert answered.status_code == 201, answered.text
    for _ in range(4):
        httpx.post(f"{tasks}/pathways/{pathway_id}/weeks/open-next", headers=counselor.headers)
    chosen = httpx.post(
        f"{tasks}/pathways/{pathway_id}/direction",
        json={"direction": "work", "reason": words["reason"]},
        headers=client.headers,
    )
    assert chosen.status_code == 201, chosen.text
    requested = httpx.post(
        f"{guidance}/pathways/{pathway_id}/meeting-requests",
        json={"task_id": first["task_id"]},
        headers=keyed(client),
    )
    assert requested.status_code == 201, requested.text
    answer_id = answered.json()["answer_id"]
    feedback_key = str(uuid4())

    def feedback_given() -> bool:
        response = httpx.post(
            f"{guidance}/pathways/{pathway_id}/answers/{answer_id}/feedback",
            json={"text": words["feedback"]},
            headers={**counselor.headers, "Idempotency-Key": feedback_key},
        )
        return response.status_code in (200, 201)

    eventually(feedback_given, what="feedback once guidance has seen the answer")
    noted = httpx.post(
        f"{guidance}/pathways/{pathway_id}/meetings/{requested.json()['meeting_id']}/notes",
        json={"text": words["note"]},
        headers=keyed(counselor),
    )
    assert noted.status_code in (200, 201), noted.text
    # Staff read the client: each read is written to an access log.
    for url in (f"{enrolment}/pathways/{pathway_id}", f"{tasks}/pathways/{pathway_id}/plan"):
        read = httpx.get(url, headers=counselor.headers)
        assert read.status_code == 200, read.text
    return Lived(pathway_id, client_ref, words, body)


def test_after_erasure_nothing_leads_from_the_records_to_the_person(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    marker = uuid4().hex[:10]
    number = int(marker[:6], 16) % 900 + 50
    code = identity_code(1 + number % 28, 1 + number % 12, 1960 + number % 20, number)
    subject = f"pw-{marker}"
    token = identities.token(
        subject=subject, role="client", tenant=TENANT, personal_identity_code=code
    )
    client = Person(subject=subject, token=token, identity_code=code)
    counselor, admin = identities.staff("counselor"), identities.staff("admin")
    lived = live_a_path(system, client, counselor, marker)
    enrolment = system.urls["enrolment"]

    # The reference is random: not the keyed hash of the identity code anyone with the key
    # could compute, and the client's own token finds it through enrolment.
    assert lived.client_ref != old_style_ref(code, TENANT)
    mine = httpx.get(f"{enrolment}/me/reference", headers=client.headers)
    assert mine.status_code == 200 and mine.json() == {"client_ref": lived.client_ref}

    needles = [
        code,
        f"Etu{marker}",
        f"Suku{marker}",
        subject,
        lookup_hash(code, TENANT),
        old_style_ref(code, TENANT),
        opening_fingerprint(lived.opening),
        *lived.words.values(),
    ]
    postgres = system.infrastructure.postgres

    def found_in_tables() -> list[str]:
        return [
            hit
            for name in SERVICES
            for hit in asyncio.run(columns_containing(postgres.dsn_for(name), needles))
        ]

    # The search can fail: before the erasure the words and the lookup hash are there.
    before = " ".join(found_in_tables())
    assert lookup_hash(code, TENANT) in before
    assert opening_fingerprint(lived.opening) in before
    assert all(word in before for word in lived.words.values()), before

    erased = httpx.post(
        f"{enrolment}/clients/{lived.client_ref}/erasure",
        json={"reason": "client_request"},
        headers=keyed(admin),
    )
    assert erased.status_code == 200, erased.text

    eventually(lambda: not found_in_tables() or None, timeout=45, what="nothing in any table")
    assert found_in_tables() == []
    messages = asyncio.run(every_message(system.infrastructure.kafka.bootstrap_servers))
    assert len(messages) > 0
    assert [n for n in needles if any(n.encode() in m for m in messages)] == []
    assert logs_containing(system, needles) == []

    # Enrolment no longer knows who the reference was.
    gone = httpx.get(f"{enrolment}/me/reference", headers=client.headers)
    assert gone.status_code == 404, gone.text

    # The same person enrolled again is a new reference: nothing joins the two.
    again = httpx.post(
        f"{enrolment}/pathways",
        json=open_path_body(client, first_name="Uusi", last_name="Polku"),
        headers=keyed(counselor),
    )
    assert again.status_code == 201, again.text
    new_ref = again.json()["client_ref"]
    assert new_ref != lived.client_ref
    found = httpx.get(f"{enrolment}/me/reference", headers=client.headers)
    assert found.json() == {"client_ref": new_ref}


def test_only_enrolment_holds_the_pseudonym_key(system: RunningSystem) -> None:
    assert "pseudonym_key" not in ServiceSettings.model_fields
    assert "pseudonym_key" not in ReportingSettings.model_fields
    environments = {
        name: Path(f"/proc/{system.processes[name].popen.pid}/environ").read_bytes()
        for name in ("tasks", "guidance", "reporting")
    }
    for name, environment in environments.items():
        assert b"DIGIPOLKU_PSEUDONYM_KEY" not in environment, name
        assert b"DIGIPOLKU_VAULT_KEY" not in environment, name


def test_an_operators_keys_reach_only_the_service_that_needs_each() -> None:
    shell = {
        **os.environ,
        "DIGIPOLKU_PSEUDONYM_KEY": "v1:" + "p" * 40,
        "DIGIPOLKU_VAULT_KEY": "dmF1bHQ=",
        "DIGIPOLKU_PUBLIC_REF_KEY": "v1:" + "r" * 40,
        "DIGIPOLKU_CELL_KEY": "v1:" + "c" * 40,
    }
    shared = without_keys(shell)
    assert not {"DIGIPOLKU_PSEUDONYM_KEY", "DIGIPOLKU_VAULT_KEY"} & set(shared)
    assert not {"DIGIPOLKU_PUBLIC_REF_KEY", "DIGIPOLKU_CELL_KEY"} & set(shared)
    assert set(keys_of("enrolment", shell)) == {"DIGIPOLKU_PSEUDONYM_KEY", "DIGIPOLKU_VAULT_KEY"}
    assert set(keys_of("reporting", shell)) == {"DIGIPOLKU_PUBLIC_REF_KEY", "DIGIPOLKU_CELL_KEY"}
    assert keys_of("tasks", shell) == keys_of("guidance", shell) == {}


def test_a_client_token_is_refused_by_reporting(
    system: RunningSystem, identities: IdentityFactory
) -> None:
    client = identities.client()
    refused = httpx.get(f"{system.urls['reporting']}/figures", headers=client.headers)
    assert refused.status_code == 403, refused.text
