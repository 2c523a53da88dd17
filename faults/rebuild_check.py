"""At the end, every read model equals a rebuild from zero: its rows are read, the projection
is emptied and replayed from its topics (chassis.rebuild, as an operator would), and the rows
read again. A duplicate applied live, or an event applied out of order, shows here as a row
that differs; so does an event the broker forgot and nobody published again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import asyncpg

from chassis.event_store import create_pool
from chassis.kafka_security import PLAINTEXT
from chassis.projector import REWRITTEN_ON_REPLAY, Projection, Projector
from chassis.rebuild import rebuild
from chassis.service import ServiceSpec

# When a row was last written: a rebuild writes every row again, so only this may differ.

Rows = Counter[tuple[object, ...]]


async def _rows(pool: asyncpg.Pool, table: str) -> Rows:
    found = await pool.fetch(f"SELECT * FROM {table}")
    return Counter(
        tuple(_frozen(value) for key, value in row.items() if key not in REWRITTEN_ON_REPLAY)
        for row in found
    )


def _frozen(value: object) -> object:
    """Arrays come as lists: counted rows must be hashable."""
    if isinstance(value, list):
        return tuple(_frozen(each) for each in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(each)) for key, each in value.items()))
    return value


async def rebuild_differences(
    specs: Mapping[str, ServiceSpec], dsns: Mapping[str, str], bootstrap: str
) -> list[str]:
    """What differs between each live read model and its rebuild, one line per table."""
    differences: list[str] = []
    for name, spec in specs.items():
        if not spec.projections:
            continue
        pool = await create_pool(dsns[name], max_size=2)
        try:
            for projection in spec.projections:
                differences += await _compare(pool, name, projection, spec.subscribes, bootstrap)
        finally:
            await pool.close()
    return differences


async def _compare(
    pool: asyncpg.Pool,
    service: str,
    projection: Projection,
    topics: Sequence[str],
    bootstrap: str,
) -> list[str]:
    live = {table: await _rows(pool, table) for table in projection.tables}
    await rebuild(Projector(pool, projection), bootstrap, topics, security=PLAINTEXT)
    found = []
    for table, rows in live.items():
        rebuilt = await _rows(pool, table)
        if rebuilt != rows:
            only_live = sum((rows - rebuilt).values())
            only_rebuilt = sum((rebuilt - rows).values())
            found.append(
                f"{service}.{projection.name} {table}: {sum(rows.values())} rows live,"
                f" {sum(rebuilt.values())} rebuilt; {only_live} only live,"
                f" {only_rebuilt} only rebuilt"
            )
    return found
