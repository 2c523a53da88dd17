"""Three replicas of guidance (a store, a relay, a consumer group) on one database and one
broker: exactly one relay leads, killing it hands over within seconds, the consumer group
spreads the partitions over the replicas, and events keep reaching the read model exactly
once (decision 0026).

Two replicas are started beside the session system's guidance and stopped at the end; if the
killed leader was the session's own guidance, it is started again before the test ends, so
the tests after this one find the system as it was.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from chassis.kafka_wire import decode_event
from contracts.topics import GUIDANCE_EVENTS
from deploy.local_stack import ManagedProcess, free_port, spawn
from deploy.system import RunningSystem, _wait_ready
from tests.support.api import open_path, wait_for_plan
from tests.support.identities import IdentityFactory
from tests.support.waiting import eventually

HANDOVER_LIMIT = 6.0  # the standby retries every second; the lock goes with the session


def readiness(url: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}/readyz", timeout=2.0)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def relay_role(url: str) -> str | None:
    ready = readiness(url)
    return None if ready is None else str(ready["details"]["relay"]["role"])


@pytest.fixture
def replicas(system: RunningSystem) -> Iterator[dict[str, ManagedProcess]]:
    """The session's guidance and two more: same environment, same database, other ports."""
    original = system.processes["guidance"]
    assert original.launch is not None
    argv = list(original.launch.argv)
    port_at = argv.index("--port") + 1
    started: dict[str, ManagedProcess] = {}
    urls = {system.urls["guidance"]: original}
    try:
        for n in (2, 3):
            port = free_port()
            argv[port_at] = str(port)
            process = spawn(
                f"guidance-{n}",
                list(argv),
                original.log_path.with_name(f"guidance-{n}.log"),
                env=original.launch.env,
                cwd=original.launch.cwd,
            )
            url = f"http://127.0.0.1:{port}"
            started[url] = process
            urls[url] = process
        for url, process in started.items():
            _wait_ready(f"{url}/readyz", process, 60)
        yield urls
    finally:
        for process in started.values():
            process.stop()
        if not original.alive():  # the session's guidance was the leader we killed
            original.respawn()
            _wait_ready(f"{system.urls['guidance']}/readyz", original, 60)


async def group_members(bootstrap: str) -> dict[str, list[TopicPartition]]:
    """Each member of guidance's consumer group and the partitions it was given (empty when
    the broker does not tell: Tansu 0.6.0 answers DescribeGroups without assignments)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups(["guidance"])
    finally:
        await admin.close()
    # (error_code, group, state, protocol_type, protocol, members)
    [group] = response.groups
    members: dict[str, list[TopicPartition]] = {}
    for member in group[5]:
        # (member_id, client_id, client_host, member_metadata, member_assignment)
        raw = member[4]
        members[member[0]] = (
            ConsumerProtocolMemberAssignment.decode(raw).partitions() if raw else []
        )
    return members


async def caseload_meetings(dsn: str, pathways: list[str]) -> dict[str, list[str]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT pathway_id::text AS path, meetings_waiting::text[] AS meetings"
            " FROM caseload WHERE pathway_id = ANY($1::uuid[])",
            pathways,
        )
    finally:
        await connection.close()
    return {row["path"]: list(row["meetings"]) for row in rows}


async def move_lead_to(ours: list[str], urls: list[str], dsn: str) -> list[str]:
    """End the leading session's lock, hold the lock a moment, and let go: the standbys
    retry every second and one of them takes it. Again until one of `ours` leads."""
    key = "digipolku-relay:guidance"
    connection = await asyncpg.connect(dsn)
    try:
        for _ in range(20):
            roles = [relay_role(url) or "not ready" for url in urls]
            if roles.count("leader") == 1 and urls[roles.index("leader")] in ours:
                return roles
            holder = await connection.fetchval(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 1 AND pid <> pg_backend_pid() AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            if holder is not None:
                await connection.execute("SELECT pg_terminate_backend($1)", holder)
            await connection.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
            await asyncio.sleep(1.2)  # every relay now stands by
            await connection.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
            await asyncio.sleep(1.5)  # one of them takes it
    finally:
        await connection.close()
    raise AssertionError("the lead never moved to a replica of this test")


def meeting_of(event: Any) -> str | None:
    if event.event_type != "GuidanceMeetingRequested":
        return None
    return str(event.payload.get("meeting_id"))


async def read_topic(bootstrap: str, topic: str, meetings: set[str]) -> list[Any]:
    """The topic from its start, until every meeting asked for has come (or 20 s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    events: list[Any] = []
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await asyncio.sleep(0.5)
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not meetings <= {meeting_of(e) for e in events}:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                events.extend(decode_event(record.value) for record in records)
    finally:
        await consumer.stop()
    return events


def test_three_replicas_one_relay_leads_hands_over_and_nothing_is_lost_or_doubled(
    system: RunningSystem,
    identities: IdentityFactory,
    replicas: dict[str, ManagedProcess],
) -> None:
    urls = list(replicas)
    bootstrap = system.infrastructure.kafka.bootstrap_servers

    # Exactly one relay leads; every replica is ready, the standbys too.
    def one_leader() -> list[str] | None:
        found = [relay_role(url) or "not ready" for url in urls]
        return found if found.count("leader") == 1 else None

    roles = eventually(one_leader, timeout=10, what="exactly one leading relay")
    assert sorted(roles) == ["leader", "standby", "standby"], roles
    # The session's own guidance led first; the lead is moved to a replica of this test, so
    # that the kill below leaves the session's system as it was.
    roles = asyncio.run(
        move_lead_to(urls[1:], urls, system.infrastructure.postgres.dsn_for("guidance"))
    )

    # The three replicas share guidance's one consumer group; where the broker tells the
    # assignments, no partition is given twice. (The range assignor gives each of three
    # members one of each topic's three partitions; the kill below shows the survivors take
    # over the dead member's: the meetings asked for after it still arrive.)
    def three_members() -> dict[str, list[TopicPartition]] | None:
        members = asyncio.run(group_members(bootstrap))
        return members if len(members) == 3 else None

    members = eventually(three_members, timeout=15, what="three members in the group")
    assigned = [tp for partitions in members.values() for tp in partitions]
    assert len(assigned) == len(set(assigned)), "a partition was given to two replicas"

    counselor = identities.staff("counselor")
    requested: dict[str, str] = {}  # pathway id -> the meeting asked for

    def ask_for_meeting(url: str) -> None:
        client = identities.client()
        pathway_id = open_path(system, counselor, client)
        task_id = wait_for_plan(system, client)["weeks"][0]["tasks"][0]["task_id"]
        key = str(uuid4())

        def asked_for() -> httpx.Response | None:
            # Any replica takes the command, once guidance has seen the path: after the
            # kill, that waits for the dead member's partitions to be handed over.
            response = httpx.post(
                f"{url}/pathways/{pathway_id}/meeting-requests",
                json={"task_id": task_id},
                headers={**client.headers, "Idempotency-Key": key},
                timeout=10,
            )
            assert response.status_code in (200, 201, 404), response.text
            return response if response.status_code != 404 else None

        asked = eventually(asked_for, timeout=45, what="guidance knowing the new path")
        requested[pathway_id] = asked.json()["meeting_id"]

    def ask_for_meetings(count: int) -> None:
        live = [url for url in urls if replicas[url].alive()]
        for n in range(count):
            ask_for_meeting(live[n % len(live)])

    ask_for_meetings(3)

    # Kill the leader: a standby takes over within seconds.
    leader = urls[roles.index("leader")]
    replicas[leader].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    survivors = [url for url in urls if url != leader]
    eventually(
        lambda: [relay_role(url) for url in survivors].count("leader") == 1,
        timeout=HANDOVER_LIMIT,
        what="a standby leading after the leader was killed",
    )
    handover = time.monotonic() - killed_at
    ask_for_meetings(3)

    # Every path is in the caseload once, with exactly the meeting it asked for.
    dsn = system.infrastructure.postgres.dsn_for("guidance")

    def caseload_complete() -> dict[str, list[str]] | None:
        rows = asyncio.run(caseload_meetings(dsn, list(requested)))
        done = rows == {path: [meeting] for path, meeting in requested.items()}
        return rows if done else None

    # Bounded by the dead member's session timeout and a rebalance.
    eventually(caseload_complete, timeout=45, what="every meeting in the caseload once")

    # Every meeting asked for reached guidance's topic, each stream's first arrivals in order.
    events = asyncio.run(read_topic(bootstrap, GUIDANCE_EVENTS, set(requested.values())))
    asked_once = defaultdict(set)
    for event in events:
        if meeting_of(event) in requested.values():
            asked_once[meeting_of(event)].add(event.event_id)
    # One acknowledged command, one event (redeliveries carry the same event id).
    assert {m: len(ids) for m, ids in asked_once.items()} == dict.fromkeys(requested.values(), 1)
    first: dict[str, list[int]] = defaultdict(list)
    seen: set[UUID] = set()
    for event in events:
        if event.event_id not in seen:
            seen.add(event.event_id)
            first[event.stream_id].append(event.stream_version)
    assert all(v == list(range(v[0], v[0] + len(v))) for v in first.values()), "reordered"
    print(f"\nrelay handover after SIGKILL of the leading replica: {handover:.1f} s")
