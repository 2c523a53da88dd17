"""Reading a group of paths' facts from the read model, and the figures computed from them.

One repeatable-read, read-only transaction per request, so every table and `as_of` are read
from the same moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

import asyncpg

from chassis.event_store import DbConnection
from chassis.versioned_keys import VersionedKey
from services.reporting.adapters.figures_cache import FiguresCache
from services.reporting.domain.cell_key import record_key
from services.reporting.domain.facts import Instrument, PathFacts, Scores, WeekFacts
from services.reporting.domain.figure_set import FigureSet
from services.reporting.domain.figures import compute_figures


@dataclass(frozen=True)
class Filters:
    """Which paths of the tenant: all of these that are given must hold."""

    municipality: str | None = None
    unit: str | None = None
    cohort: str | None = None
    opened_from: date | None = None  # the day the path was opened, Europe/Helsinki
    opened_to: date | None = None


_CHOSEN = """
    WITH chosen AS (
        SELECT * FROM report_paths
        WHERE tenant = $1 AND opened_on IS NOT NULL
          AND ($2::text IS NULL OR municipality = $2)
          AND ($3::text IS NULL OR unit = $3)
          AND ($4::text IS NULL OR cohort = $4)
          AND ($5::date IS NULL OR opened_on >= $5)
          AND ($6::date IS NULL OR opened_on <= $6)
    )
"""
_PATHS = (
    _CHOSEN
    + """
    SELECT c.pathway_id, c.start_date, c.answers, c.direction, c.direction_chosen_on,
           c.direction_changes, e.ending, e.ended_on, e.reason,
           coalesce(m.requested, 0) AS requested, coalesce(m.held, 0) AS held,
           coalesce(m.missed, 0) AS missed
    FROM chosen c
    LEFT JOIN report_path_ends e USING (pathway_id)
    LEFT JOIN report_meetings m USING (pathway_id)
    """
)
_WEEKS = _CHOSEN + "SELECT w.* FROM report_weeks w JOIN chosen USING (pathway_id)"
_OUTCOMES = _CHOSEN + "SELECT o.* FROM report_outcomes o JOIN chosen USING (pathway_id)"
_ASSESSMENTS = _CHOSEN + "SELECT a.* FROM report_assessments a JOIN chosen USING (pathway_id)"


async def path_facts(
    connection: DbConnection, tenant: str, filters: Filters, record_keys: VersionedKey
) -> list[PathFacts]:
    args = (
        tenant,
        filters.municipality,
        filters.unit,
        filters.cohort,
        filters.opened_from,
        filters.opened_to,
    )
    weeks: dict[UUID, dict[int, WeekFacts]] = defaultdict(dict)
    for row in await connection.fetch(_WEEKS, *args):
        weeks[row["pathway_id"]][row["week"]] = WeekFacts(
            row["opened_on"], row["answers_on_time"], row["answers_late"]
        )
    outcomes: dict[UUID, dict[str, str]] = defaultdict(dict)
    for row in await connection.fetch(_OUTCOMES, *args):
        outcomes[row["pathway_id"]][row["follow_up"]] = row["outcome"]
    assessments: dict[UUID, dict[tuple[str, str], Scores]] = defaultdict(dict)
    for row in await connection.fetch(_ASSESSMENTS, *args):
        key = (row["instrument_id"], row["phase"])
        assessments[row["pathway_id"]][key] = Scores(row["instrument_version"], row["scores"])
    return [
        PathFacts(
            pathway_id=row["pathway_id"],
            record_key=record_key(record_keys.secret, tenant, row["pathway_id"]),
            start_date=row["start_date"],
            answers=row["answers"],
            direction=row["direction"],
            direction_chosen_on=row["direction_chosen_on"],
            direction_changes=row["direction_changes"],
            ending=row["ending"],
            ended_on=row["ended_on"],
            discontinuation_reason=row["reason"],
            meetings_requested=row["requested"],
            meetings_held=row["held"],
            meetings_missed=row["missed"],
            weeks=weeks.get(row["pathway_id"], {}),
            outcomes=outcomes.get(row["pathway_id"], {}),
            assessments=assessments.get(row["pathway_id"], {}),
        )
        for row in await connection.fetch(_PATHS, *args)
    ]


@dataclass(frozen=True)
class Freshness:
    """When the latest event the tenant's figures include happened, and the revision of its
    figures (None, None: no rows yet)."""

    latest_event_at: datetime | None
    revision: UUID | None


async def freshness(connection: DbConnection, tenant: str) -> Freshness:
    row = await connection.fetchrow(
        "SELECT latest_event_at, revision FROM report_freshness WHERE tenant = $1", tenant
    )
    return Freshness(None, None) if row is None else Freshness(row[0], row[1])


@dataclass(frozen=True)
class Reading:
    as_of: datetime | None
    groups: list[FigureSet]


async def read_figures(
    pool: asyncpg.Pool,
    tenant: str,
    groups: Sequence[Filters],
    instruments: Mapping[tuple[str, str], Instrument],
    record_keys: VersionedKey,
    cache: FiguresCache | None = None,
) -> Reading:
    """The figures of each group of the tenant's paths, all read at one moment; with a
    `cache`, a group's figures computed at the same revision of the tenant are reused."""
    kept = cache or FiguresCache(size=0)
    # The record key's version and the instruments change what is computed from the rows.
    context = (record_keys.version, frozenset(instruments))
    found: dict[Filters, FigureSet] = {}
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        fresh = await freshness(connection, tenant)
        for filters in groups:
            if (figures := kept.get(fresh.revision, (tenant, filters, context))) is not None:
                found[filters] = figures
        facts = {
            filters: await path_facts(connection, tenant, filters, record_keys)
            for filters in groups
            if filters not in found
        }
    for filters, paths in facts.items():
        found[filters] = compute_figures(paths, instruments)
        kept.put(fresh.revision, (tenant, filters, context), found[filters])
    return Reading(fresh.latest_event_at, [found[filters] for filters in groups])


@dataclass(frozen=True)
class GroupChoices:
    """What the tenant's paths give to choose from: units, cohorts, months of opening."""

    units: list[str]
    cohorts: list[str]
    months: list[date]


async def group_choices(pool: asyncpg.Pool, tenant: str) -> GroupChoices:
    rows = await pool.fetch(
        "SELECT DISTINCT unit, cohort, date_trunc('month', opened_on)::date AS month"
        " FROM report_paths WHERE tenant = $1 AND opened_on IS NOT NULL",
        tenant,
    )
    return GroupChoices(
        units=sorted({r["unit"] for r in rows if r["unit"]}),
        cohorts=sorted({r["cohort"] for r in rows if r["cohort"]}, reverse=True),
        months=sorted({r["month"] for r in rows}),
    )
