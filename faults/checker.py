"""The checker, in the manner of Jepsen's queue checkers (pure: it judges what was read).

The history is the command log: every command a service acknowledged. The event stores are
the witness: an acknowledged command's idempotency key names the stream and versions it
wrote. From there every read model the store feeds must have applied each of those events
exactly once and in stream order (its tracking reaches the stream's last version, and a
rebuild from zero gives the same rows), the tenants' path topics must carry each event of
theirs by its id in stream order, and nothing may appear that no command caused.

Every problem is laid at the door of the fault in whose window it happened: the command's
acknowledgement, or the event's position in its store (the windows are cut at each fault's
injection).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from contracts.events.enrolment import ClientDataErased
from faults.command_log import Command
from faults.public_topic import PublicRecord
from faults.witness import Feed, Observation, StoredEvent
from services.reporting.domain.tenant_events import TENANT_SOURCES

NO_FAULT = "no fault yet"
# The internal events of the traffic that reporting gives the tenant's systems a form of
# (the traffic erases nobody, so ClientDataErased, whose form is named by its path, is not
# among them).
PUBLIC_SOURCE_TYPES = frozenset(
    model.event_type for model in TENANT_SOURCES if model is not ClientDataErased
)
# Only a counselor's message tells the tenant's systems that one waits (decision 0041); the
# client's own message is not theirs to hear of. The stored event's actor is its sender.
MESSAGE_WAITING = "MessageWaiting"
MESSAGE_TOLD_BY = "counselor"


def reaches_tenant_topic(event: StoredEvent) -> bool:
    """Whether reporting gives the tenant's systems a form of this stored event."""
    if event.event_type == MESSAGE_WAITING:
        return event.actor_role == MESSAGE_TOLD_BY
    return event.event_type in PUBLIC_SOURCE_TYPES


# Events no command of the traffic causes: the calendar's (actor role "system").
SYSTEM_ROLE = "system"
# The first problems of each row kept as examples, per kind of problem.
EXAMPLES = 3


@dataclass(frozen=True)
class PublicTopic:
    """What was read from the tenants' path topics, and how reporting names an internal
    event there (a keyed hash: `tenant_event_id` under the run's reference key)."""

    records: Sequence[PublicRecord]
    event_id_of: Callable[[UUID], UUID]


@dataclass(frozen=True)
class Window:
    """From one fault's injection to the next's: `highest` is each store's highest position
    when it was injected; `recovery` the seconds until the system answered and its read
    models had caught up (None: not within the limit)."""

    name: str
    started_at: float
    highest: dict[str, int]
    recovery: float | None
    relays_killed: int = 0


@dataclass
class Row:
    name: str
    injected: int = 0
    relays_killed: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    phantom: int = 0
    redelivered: int = 0  # public records repeated by id: allowed (subscribers drop them)
    longest_recovery: float | None = None
    not_recovered: int = 0
    examples: list[str] = field(default_factory=list)
    _shown: Counter[str] = field(default_factory=Counter, repr=False)

    def note(self, what: str) -> None:
        """Keep `what` as an example unless its kind (the text before its first colon) has
        enough already: a row's thousand public losses must not hide its one lost command."""
        kind = what.split(":", 1)[0]
        if self._shown[kind] < EXAMPLES and len(self.examples) < 4 * EXAMPLES:
            self._shown[kind] += 1
            self.examples.append(what)

    @property
    def failed(self) -> bool:
        return bool(self.lost or self.duplicated or self.out_of_order or self.phantom)


# Which row an event's problem goes to (by the window its position falls in).
_RowOf = Callable[[str, StoredEvent], Row]


@dataclass
class Verdict:
    rows: dict[str, Row]
    events: int
    commands: int
    rebuild_differences: list[str]
    public_checked: bool
    public_expected: int = 0  # public-source events in the stores
    public_records: int = 0  # records on the public topics, repeats included

    @property
    def failed(self) -> bool:
        return bool(self.rebuild_differences) or any(row.failed for row in self.rows.values())

    def total(self, column: str) -> int:
        return sum(int(getattr(row, column)) for row in self.rows.values())


class _Windows:
    def __init__(self, windows: Sequence[Window]) -> None:
        self._windows = list(windows)
        self._starts = [w.started_at for w in windows]

    def at_time(self, moment: float) -> str:
        index = bisect.bisect_right(self._starts, moment) - 1
        return self._windows[index].name if index >= 0 else NO_FAULT

    def of_event(self, store: str, position: int) -> str:
        name = NO_FAULT
        for window in self._windows:  # in injection order; positions grow with time
            if window.highest.get(store, 0) < position:
                name = window.name
            else:
                break
        return name


def check(
    commands: Sequence[Command],
    seen: Observation,
    every_feed: Iterable[Feed],
    windows: Sequence[Window],
    public: PublicTopic | None,
    rebuild_differences: Sequence[str],
) -> Verdict:
    rows: dict[str, Row] = {NO_FAULT: Row(NO_FAULT)}
    for window in windows:
        row = rows.setdefault(window.name, Row(window.name))
        row.injected += 1
        row.relays_killed += window.relays_killed
        if window.recovery is None:
            row.not_recovered += 1
        elif row.longest_recovery is None or window.recovery > row.longest_recovery:
            row.longest_recovery = window.recovery
    cut = _Windows(windows)
    by_id = {
        (store, event.stream_id, event.stream_version): event
        for store, events in seen.events.items()
        for event in events
    }

    def row_of_event(store: str, event: StoredEvent) -> Row:
        return rows[cut.of_event(store, event.position)]

    _commands_in_stores(commands, seen, by_id, rows, cut)
    _stores_in_order(seen, rows, row_of_event)
    _caused_by_commands(commands, seen, rows, row_of_event)
    for feed in every_feed:
        _feed_complete(feed, seen, rows, row_of_event)
    if public is not None:
        _public_topic(seen, public, rows, row_of_event)
    return Verdict(
        rows,
        sum(len(events) for events in seen.events.values()),
        len(commands),
        list(rebuild_differences),
        public is not None,
        sum(reaches_tenant_topic(e) for events in seen.events.values() for e in events),
        len(public.records) if public else 0,
    )


def _commands_in_stores(
    commands: Sequence[Command],
    seen: Observation,
    by_id: dict[tuple[str, str, int], StoredEvent],
    rows: dict[str, Row],
    cut: _Windows,
) -> None:
    """Each acknowledged command left its events in its service's store, once."""
    keys = Counter((c.service, c.idempotency_key) for c in commands)
    for command in commands:
        row = rows[cut.at_time(command.acknowledged_at)]
        row.acknowledged += 1
        what = f"{command.method} {command.path} (key {command.idempotency_key})"
        if keys[(command.service, command.idempotency_key)] > 1:
            row.duplicated += 1
            row.note(f"acknowledged twice: {what}")
        record = seen.keys[command.service].get(command.idempotency_key)
        if record is None:
            # Every command of the traffic decides at least one event; its key is kept with
            # the first of them, in the same transaction.
            row.lost += 1
            row.note(f"acknowledged but not in {command.service}'s store: {what}")
            continue
        for version in range(record.first_version, record.last_version + 1):
            if (command.service, record.stream_id, version) not in by_id:
                row.lost += 1
                row.note(f"event {record.stream_id}@{version} of {what} missing from the store")


def _stores_in_order(seen: Observation, rows: dict[str, Row], row_of_event: _RowOf) -> None:
    """Each stream's versions run 1, 2, … without gaps, and no event is stored twice."""
    for store, events in seen.events.items():
        ids = Counter(event.event_id for event in events)
        streams: dict[str, list[StoredEvent]] = defaultdict(list)
        for event in events:
            streams[event.stream_id].append(event)
            if ids[event.event_id] > 1:
                row = row_of_event(store, event)
                row.duplicated += 1
                row.note(f"event {event.event_id} stored twice in {store}")
        for stream_id, stream in streams.items():
            versions = sorted(event.stream_version for event in stream)
            if versions != list(range(1, len(versions) + 1)):
                row = row_of_event(store, stream[-1])
                row.out_of_order += 1
                row.note(f"{store} stream {stream_id} has versions {versions[:12]}…")


def _caused_by_commands(
    commands: Sequence[Command], seen: Observation, rows: dict[str, Row], row_of_event: _RowOf
) -> None:
    """Every stored event goes back to a command that was sent (acknowledged or not: one
    whose answer was lost still took effect), the calendar, or another stored event."""
    sent_keys = {(c.service, c.idempotency_key) for c in commands}
    all_ids = {event.event_id for events in seen.events.values() for event in events}
    commanded: set[UUID] = set()  # correlation ids of events a keyed command wrote
    for store, events in seen.events.items():
        ranges = {
            (record.stream_id, version)
            for key, record in seen.keys[store].items()
            if (store, key) in sent_keys or key.startswith("sim-")
            for version in range(record.first_version, record.last_version + 1)
        }
        commanded |= {e.correlation_id for e in events if (e.stream_id, e.stream_version) in ranges}
    for store, events in seen.events.items():
        for event in events:
            if (
                event.correlation_id in commanded
                or event.actor_role == SYSTEM_ROLE
                or (event.causation_id is not None and event.causation_id in all_ids)
            ):
                continue
            row = row_of_event(store, event)
            row.phantom += 1
            row.note(
                f"{store} {event.event_type} {event.stream_id}@{event.stream_version}: no cause"
            )


def _feed_complete(
    feed: Feed, seen: Observation, rows: dict[str, Row], row_of_event: _RowOf
) -> None:
    """The read model applied every event of every stream of its store, and nothing else:
    its tracking is each stream's last version (the projector applies versions in order, one
    at a time, so reaching the last means every one was applied once)."""
    tracking = seen.tracking[feed]
    streams: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in seen.events[feed.store]:
        streams[event.stream_id].append(event)
    for stream_id, events in streams.items():
        applied = tracking.get(stream_id, 0)
        for event in events:
            if event.stream_version > applied:
                row = row_of_event(feed.store, event)
                row.lost += 1
                row.note(
                    f"{feed.name}: {event.event_type} {stream_id}@{event.stream_version}"
                    f" not applied (applied up to {applied})"
                )
        top = max(event.stream_version for event in events)
        if applied > top:
            row = rows[NO_FAULT] if not events else row_of_event(feed.store, events[-1])
            row.phantom += 1
            row.note(f"{feed.name}: {stream_id} applied up to {applied}, stored up to {top}")
    for stream_id, applied in tracking.items():
        if stream_id not in streams:
            rows[NO_FAULT].phantom += 1
            rows[NO_FAULT].note(f"{feed.name}: {stream_id}@{applied} applied, never stored")


def _public_topic(
    seen: Observation,
    public: PublicTopic,
    rows: dict[str, Row],
    row_of_event: _RowOf,
) -> None:
    """Each source event is on its tenant's path topic by its id there; within a source
    stream their first records come in version order; no record comes from nowhere."""
    expected: dict[UUID, tuple[str, StoredEvent]] = {
        public.event_id_of(event.event_id): (store, event)
        for store, events in seen.events.items()
        for event in events
        if reaches_tenant_topic(event)
    }
    first: dict[UUID, PublicRecord] = {}
    repeats: Counter[UUID] = Counter()
    for record in public.records:
        if record.event_id in first:
            repeats[record.event_id] += 1
        else:
            first[record.event_id] = record
    for public_event, (store, event) in expected.items():
        row = row_of_event(store, event)
        if public_event not in first:
            row.lost += 1
            row.note(
                f"tenant topic: {event.event_type} {event.stream_id}@{event.stream_version} missing"
            )
        row.redelivered += repeats[public_event]
    for public_event in first:
        if public_event not in expected:
            rows[NO_FAULT].phantom += 1
            rows[NO_FAULT].note(f"tenant topic: {public_event} comes from no stored event")
    by_stream: dict[tuple[str, str], list[tuple[int, PublicRecord, StoredEvent]]] = defaultdict(
        list
    )
    for public_event, record in first.items():
        if public_event in expected:
            store, event = expected[public_event]
            by_stream[(store, event.stream_id)].append((event.stream_version, record, event))
    for (store, stream_id), entries in by_stream.items():
        entries.sort(key=lambda entry: entry[0])
        places = [(r.topic, r.partition, r.offset) for _, r, _ in entries]
        for before, after, (version, _, event) in zip(
            places, places[1:], entries[1:], strict=False
        ):
            if after < before:
                row = row_of_event(store, event)
                row.out_of_order += 1
                row.note(f"tenant topic: {stream_id}@{version} published before an earlier version")
