"""Publishing each tenant's monthly statistics on its public topic (decision 0032).

Run by reporting's background job (`bootstrap.run_statistics_publisher`): each round works
out every month's figures of every tenant (the dashboard's own, through `read_figures`) and
puts a month whose figures changed into the outbox with the next revision; the outbox's
relay publishes it (decision 0030). Replicas may run it together: a tenant's months are
decided under a lock of its own, and an unchanged month is not published again.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, uuid5

import asyncpg

from chassis.advisory_locks import lock_until_commit
from chassis.outbox import Outbox, OutboxMessage
from chassis.versioned_keys import VersionedKey
from contracts.public import MonthlyStatistics
from contracts.topics import public_topic
from services.reporting.adapters.figures_query import Filters, read_figures
from services.reporting.domain.monthly_statistics import (
    figures_digest,
    monthly_statistics,
    statistics_months,
)


async def publish_statistics_once(
    pool: asyncpg.Pool,
    outbox: Outbox,
    record_keys: VersionedKey,
    today: date,
) -> int:
    """Every tenant's changed months into the outbox; returns how many were."""
    published = 0
    rows = await pool.fetch(
        "SELECT tenant, min(opened_on) AS first FROM report_paths"
        " WHERE opened_on IS NOT NULL GROUP BY tenant ORDER BY tenant"
    )
    for row in rows:
        tenant: str = row["tenant"]
        months = statistics_months(row["first"], today)
        groups = [Filters(opened_from=month.first, opened_to=month.last) for month in months]
        # No instruments: the statistics carry no self-assessment, so none is worked out.
        reading = await read_figures(pool, tenant, groups, {}, record_keys)
        statistics = [
            monthly_statistics(tenant, month, figures)
            for month, figures in zip(months, reading.groups, strict=True)
        ]
        published += await _publish_changed(pool, outbox, tenant, statistics)
    return published


async def _publish_changed(
    pool: asyncpg.Pool, outbox: Outbox, tenant: str, statistics: list[MonthlyStatistics]
) -> int:
    changed = 0
    async with pool.acquire() as connection, connection.transaction():
        await lock_until_commit(connection, f"statistics:{tenant}")
        last = {
            r["month"]: (r["revision"], r["digest"])
            for r in await connection.fetch(
                "SELECT month, revision, digest FROM published_statistics WHERE tenant = $1",
                tenant,
            )
        }
        for month in statistics:
            digest = figures_digest(month)
            revision, last_digest = last.get(month.month, (0, None))
            if digest == last_digest:
                continue
            current = month.model_copy(update={"revision": revision + 1})
            await outbox.add(
                OutboxMessage(
                    uuid5(
                        NAMESPACE_URL, f"digipolku-statistics:{tenant}:{month.month}:{revision + 1}"
                    ),
                    public_topic(tenant),
                    f"{tenant}:{month.month}".encode(),
                    current.model_dump_json().encode(),
                ),
                connection=connection,
            )
            await connection.execute(
                "INSERT INTO published_statistics (tenant, month, revision, digest)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, month) DO UPDATE"
                " SET revision = excluded.revision, digest = excluded.digest,"
                " published_at = now()",
                tenant,
                month.month,
                revision + 1,
                digest,
            )
            changed += 1
    return changed
