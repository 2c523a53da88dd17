"""The figures' read model, kept from enrolment's, tasks' and guidance's events.

Small tables keyed by path (and week, follow-up or instrument): the path's place and dates,
its end, its weeks, meetings, outcomes and self-assessment scores, and per tenant the time of
the latest event applied. Every change commutes with the other topics' (counts add, times take
the greatest, a column set outright is set by one stream only, whose events arrive in order),
so the rows end the same in any interleaving of the topics, live or in a rebuild.

Written a batch at a time (issue 15): the batch is collapsed per row (`figures_rows`) and each
table gets one `INSERT … SELECT FROM unnest(…) ON CONFLICT` statement, in the transaction that
moves the batch's checkpoints (chassis.projector).
"""

from __future__ import annotations

from collections.abc import Sequence

from chassis.event_store import DbConnection
from chassis.projector import Decoded, Projection, batched
from services.reporting.adapters.figures_rows import FIGURE_EVENTS, FigureRows, collapse

TABLES = [
    "report_paths",
    "report_path_ends",
    "report_weeks",
    "report_meetings",
    "report_outcomes",
    "report_assessments",
    "report_freshness",
]

# NULL in a set column leaves the row's value (every value an event sets is NOT NULL).
_PATHS = """
    INSERT INTO report_paths AS t (pathway_id, tenant, municipality, unit, cohort, opened_on,
        start_date, answers, direction, direction_chosen_on, direction_changes)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
        $6::date[], $7::date[], $8::integer[], $9::text[], $10::date[], $11::integer[])
    ON CONFLICT (pathway_id) DO UPDATE SET
        municipality = coalesce(EXCLUDED.municipality, t.municipality),
        unit = coalesce(EXCLUDED.unit, t.unit),
        cohort = coalesce(EXCLUDED.cohort, t.cohort),
        opened_on = coalesce(EXCLUDED.opened_on, t.opened_on),
        start_date = coalesce(EXCLUDED.start_date, t.start_date),
        answers = t.answers + EXCLUDED.answers,
        direction = coalesce(EXCLUDED.direction, t.direction),
        direction_chosen_on = coalesce(EXCLUDED.direction_chosen_on, t.direction_chosen_on),
        direction_changes = t.direction_changes + EXCLUDED.direction_changes
"""
_ENDS = """
    INSERT INTO report_path_ends (pathway_id, ending, ended_on, reason)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::date[], $4::text[])
    ON CONFLICT (pathway_id) DO UPDATE
    SET ending = EXCLUDED.ending, ended_on = EXCLUDED.ended_on, reason = EXCLUDED.reason
"""
# Each week opens once; should it be recorded twice, the first day stands.
_WEEKS = """
    INSERT INTO report_weeks AS t (pathway_id, week, opened_on, answers_on_time, answers_late)
    SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::date[], $4::integer[], $5::integer[])
    ON CONFLICT (pathway_id, week) DO UPDATE SET
        opened_on = coalesce(t.opened_on, EXCLUDED.opened_on),
        answers_on_time = t.answers_on_time + EXCLUDED.answers_on_time,
        answers_late = t.answers_late + EXCLUDED.answers_late
"""
_MEETINGS = """
    INSERT INTO report_meetings AS t (pathway_id, requested, held, missed)
    SELECT * FROM unnest($1::uuid[], $2::integer[], $3::integer[], $4::integer[])
    ON CONFLICT (pathway_id) DO UPDATE SET
        requested = t.requested + EXCLUDED.requested,
        held = t.held + EXCLUDED.held,
        missed = t.missed + EXCLUDED.missed
"""
_OUTCOMES = """
    INSERT INTO report_outcomes (pathway_id, follow_up, outcome)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])
    ON CONFLICT (pathway_id, follow_up) DO UPDATE SET outcome = EXCLUDED.outcome
"""
_ASSESSMENTS = """
    INSERT INTO report_assessments (pathway_id, instrument_id, phase, instrument_version, scores)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
    ON CONFLICT (pathway_id, instrument_id, phase) DO UPDATE
    SET instrument_version = EXCLUDED.instrument_version, scores = EXCLUDED.scores
"""
# The latest event's time only moves forward (a catch-up's events are mostly older); the
# revision is new with every batch that writes the tenant's rows, so cached figures of it
# are computed again (figures_cache).
_FRESHNESS = """
    INSERT INTO report_freshness AS t (tenant, latest_event_at)
    SELECT * FROM unnest($1::text[], $2::timestamptz[])
    ON CONFLICT (tenant) DO UPDATE
    SET latest_event_at = greatest(t.latest_event_at, EXCLUDED.latest_event_at),
        revision = gen_random_uuid()
"""


async def write_figures(connection: DbConnection, events: Decoded) -> None:
    """The batch's events, collapsed per row, one statement per table that changes."""
    rows = collapse(list(events))
    for statement, columns in _columns(rows):
        if columns[0]:
            await connection.execute(statement, *columns)


def _columns(rows: FigureRows) -> list[tuple[str, list[list[object]]]]:
    """Each table's statement and its rows column by column (unnest's arrays)."""
    paths = [
        [key, r.tenant, r.municipality, r.unit, r.cohort, r.opened_on, r.start_date, r.answers,
         r.direction, r.direction_chosen_on, r.direction_changes]
        for key, r in rows.paths.items()
    ]  # fmt: skip
    ends = [[key, *end] for key, end in rows.ends.items()]
    weeks = [
        [path, week, r.opened_on, r.answers_on_time, r.answers_late]
        for (path, week), r in rows.weeks.items()
    ]
    meetings = [[key, r.requested, r.held, r.missed] for key, r in rows.meetings.items()]
    outcomes = [[*key, outcome] for key, outcome in rows.outcomes.items()]
    assessments = [[*key, version, scores] for key, (version, scores) in rows.assessments.items()]
    freshness = [[tenant, at] for tenant, at in rows.freshness.items()]
    return [
        (statement, _by_column(table, width))
        for statement, table, width in (
            (_PATHS, paths, 11),
            (_ENDS, ends, 4),
            (_WEEKS, weeks, 5),
            (_MEETINGS, meetings, 4),
            (_OUTCOMES, outcomes, 3),
            (_ASSESSMENTS, assessments, 5),
            (_FRESHNESS, freshness, 2),
        )
    ]


def _by_column(table: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    return [[row[n] for row in table] for n in range(width)]


FIGURES = Projection(
    name="figures",
    tables=TABLES,
    handlers=batched(*FIGURE_EVENTS),
    apply_batch=write_figures,
)
