"""The fault suite's checker finds each kind of wrong it is there for, and lays it at the
right fault's door; a clean history passes (pure: no system needed)."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID, uuid4

from contracts.topics import ENROLMENT_EVENTS
from faults.checker import (
    NO_FAULT,
    PUBLIC_SOURCE_TYPES,
    PublicTopic,
    Verdict,
    Window,
    check,
    reaches_tenant_topic,
)
from faults.command_log import Command
from faults.public_topic import PublicRecord
from faults.report import table, write_json
from faults.witness import Feed, KeyRecord, Observation, StoredEvent

FEED = Feed("reporting", "figures", ENROLMENT_EVENTS)
PATH = "path-1"
KILL = "kill tasks"


def event(position: int, version: int, event_type: str = "PathwayOpened") -> StoredEvent:
    return StoredEvent(position, uuid4(), PATH, version, event_type, uuid4(), None, "counselor")


def history() -> tuple[list[Command], Observation, list[Window]]:
    """Two commands on one path, the second after a fault; everything where it should be."""
    first, second = event(1, 1), event(2, 2, "PathwayCompleted")
    seen = Observation(
        events={"enrolment": [first, second], "tasks": [], "guidance": []},
        keys={
            "enrolment": {"k1": KeyRecord(PATH, 1, 1), "k2": KeyRecord(PATH, 2, 2)},
            "tasks": {},
            "guidance": {},
        },
        tracking={FEED: {PATH: 2}},
    )
    commands = [
        Command("enrolment", "POST", "/pathways", "k1", 201, 1, acknowledged_at=10.0),
        Command("enrolment", "POST", f"/pathways/{PATH}/complete", "k2", 200, 1, 30.0),
    ]
    windows = [Window(KILL, 20.0, {"enrolment": 1}, recovery=4.5, relays_killed=1)]
    return commands, seen, windows


def tenant_id(internal: UUID) -> UUID:
    """A stand-in for the keyed hash reporting names an event with on a tenant's topic."""
    return UUID(int=internal.int ^ 0x5A5A)


def public_of(seen: Observation) -> list[PublicRecord]:
    return [
        PublicRecord("digipolku.tenant.kanta-hame.paths", 0, offset, tenant_id(e.event_id), "r")
        for offset, e in enumerate(seen.events["enrolment"])
        if e.event_type in PUBLIC_SOURCE_TYPES
    ]


def verdict(
    commands: list[Command],
    seen: Observation,
    windows: list[Window],
    public: list[PublicRecord] | None = None,
) -> Verdict:
    topic = None if public is None else PublicTopic(public, tenant_id)
    return check(commands, seen, [FEED], windows, topic, [])


def test_a_clean_history_passes_and_counts_each_window() -> None:
    commands, seen, windows = history()
    found = verdict(commands, seen, windows, public_of(seen))
    assert not found.failed, found.rows
    assert found.rows[NO_FAULT].acknowledged == 1
    assert found.rows[KILL].acknowledged == 1
    assert found.rows[KILL].injected == 1
    assert found.rows[KILL].relays_killed == 1
    assert found.rows[KILL].longest_recovery == 4.5


def test_an_acknowledged_command_missing_from_its_store_is_lost() -> None:
    commands, seen, windows = history()
    del seen.keys["enrolment"]["k2"]
    found = verdict(commands, seen, windows)
    assert found.failed
    assert found.rows[KILL].lost == 1, found.rows[KILL].examples


def test_an_event_a_read_model_never_applied_is_lost_in_its_window() -> None:
    commands, seen, windows = history()
    seen.tracking[FEED][PATH] = 1
    found = verdict(commands, seen, windows)
    assert found.rows[KILL].lost == 1
    assert found.rows[NO_FAULT].lost == 0


def test_a_read_model_ahead_of_its_store_or_on_an_unknown_stream_is_a_phantom() -> None:
    commands, seen, windows = history()
    seen.tracking[FEED][PATH] = 3
    seen.tracking[FEED]["path-nobody-opened"] = 1
    found = verdict(commands, seen, windows)
    assert found.total("phantom") == 2


def test_an_event_no_command_caused_is_a_phantom() -> None:
    commands, seen, windows = history()
    seen.events["enrolment"].append(event(3, 3, "PathwayPaused"))
    seen.tracking[FEED][PATH] = 3
    found = verdict(commands, seen, windows)
    assert found.rows[KILL].phantom == 1


def test_an_event_stored_twice_is_duplicated_and_a_gap_is_out_of_order() -> None:
    commands, seen, windows = history()
    twice = seen.events["enrolment"][1]
    seen.events["enrolment"].append(
        StoredEvent(5, twice.event_id, PATH, 4, "PathwayCompleted", twice.correlation_id, None, "x")
    )
    seen.tracking[FEED][PATH] = 4
    found = verdict(commands, seen, windows)
    assert found.total("duplicated") == 2  # both copies
    assert found.total("out_of_order") == 1  # versions 1, 2, 4


def test_the_tenant_topic_must_carry_each_event_once_by_id_and_in_stream_order() -> None:
    commands, seen, windows = history()
    # Two events of one stream that the tenant's systems get (the first is the opening,
    # which they do not): the check is about order, not about what a path can do.
    first = seen.events["enrolment"][0]
    seen.events["enrolment"][0] = StoredEvent(
        first.position,
        first.event_id,
        PATH,
        1,
        "PathwayDiscontinued",
        first.correlation_id,
        None,
        "counselor",
    )
    records = public_of(seen)
    missing = verdict(commands, seen, windows, records[:1])
    assert missing.rows[KILL].lost == 1
    swapped = [
        PublicRecord(r.topic, r.partition, 9 - r.offset, r.event_id, r.path_ref) for r in records
    ]
    assert verdict(commands, seen, windows, swapped).total("out_of_order") == 1
    again = verdict(commands, seen, windows, [*records, records[0]])
    assert not again.failed  # a redelivery by the same id is what subscribers drop
    assert again.total("redelivered") == 1
    stranger = PublicRecord(records[0].topic, 0, 7, UUID(int=1), "r")
    assert verdict(commands, seen, windows, [*records, stranger]).total("phantom") == 1


def test_a_rebuild_that_differs_fails_the_run() -> None:
    commands, seen, windows = history()
    found = check(commands, seen, [FEED], windows, None, ["reporting.figures: 1 row differs"])
    assert found.failed


def test_the_report_of_a_failed_run_is_written_as_json(tmp_path: Path) -> None:
    commands, seen, windows = history()
    seen.tracking[FEED][PATH] = 1
    found = verdict(commands, seen, windows)
    written = write_json(found, {"seed": 1}, tmp_path)
    document = json.loads(written.read_text(encoding="utf-8"))
    assert document["passed"] is False
    assert [row["lost"] for row in document["rows"] if row["name"] == KILL] == [1]
    assert "lost" in table(found)


def test_only_a_counselors_message_is_expected_on_the_tenant_topic() -> None:
    # A client's MessageWaiting stays inside (decision 0041); a counselor's is told.
    from_client = StoredEvent(1, uuid4(), PATH, 1, "MessageWaiting", uuid4(), None, "client")
    from_counselor = StoredEvent(2, uuid4(), PATH, 2, "MessageWaiting", uuid4(), None, "counselor")
    assert not reaches_tenant_topic(from_client)
    assert reaches_tenant_topic(from_counselor)
    assert reaches_tenant_topic(event(3, 3, "PathwayCompleted"))
    assert not reaches_tenant_topic(event(4, 4, "PathwayOpened"))
