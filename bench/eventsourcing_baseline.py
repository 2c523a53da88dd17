"""The `eventsourcing` library's PostgreSQL application recorder, same shape, same database
server: one insert_events call (one transaction) per aggregate of 10 events."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench.shape import EVENTS_PER_AGGREGATE, Result, payload


def _stored_events(aggregate: int) -> list[StoredEvent]:
    originator_id = uuid4()
    return [
        StoredEvent(
            originator_id=originator_id,
            originator_version=index + 1,
            topic="digipolku:TaskAnswered",
            state=json.dumps(payload(aggregate, index)).encode(),
        )
        for index in range(EVENTS_PER_AGGREGATE)
    ]


def run_eventsourcing(dsn: str, aggregates: int, writers: int) -> Result:
    url = urlparse(dsn)
    datastore = PostgresDatastore(
        dbname=url.path.lstrip("/"),
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or "",
        pool_size=writers,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()

    def write(batches: list[list[StoredEvent]]) -> None:
        for batch in batches:
            recorder.insert_events(batch)

    def run(count: int) -> float:
        # Records are built before the clock starts, for every contender alike.
        batches = [_stored_events(aggregate) for aggregate in range(count)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=writers) as pool:
            for future in [pool.submit(write, batches[w::writers]) for w in range(writers)]:
                future.result()
        return time.perf_counter() - started

    try:
        run(max(20, aggregates // 20))  # warm-up
        seconds = run(aggregates)
    finally:
        datastore.close()
    return Result("eventsourcing 9.5.6", writers, aggregates * EVENTS_PER_AGGREGATE, seconds)
