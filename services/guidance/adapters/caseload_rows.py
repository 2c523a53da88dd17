"""Reading and writing the caseload's rows for a batch: each a statement for the whole batch.

The batch's new rows are made first and its stored rows read and locked, so the rows it
folds (caseload_fold) are the rows it writes back: another instance of the consumer, writing
a path's other topics, waits for this transaction instead of its change being lost. Rows are
made and locked in key order, so two such batches wait for each other instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from uuid import UUID

from chassis.event_store import DbConnection
from contracts.envelope import EventEnvelope
from contracts.events.base import EventModel
from services.guidance.adapters.caseload_fold import CaseloadRow, path_of

# Each changing column's type, in CaseloadRow's field order (unnest's arrays are typed).
_TYPES = {
    "client_ref": "text",
    "counselor_ids": "text[]",
    "municipality": "text",
    "unit": "text",
    "cohort": "text",
    "start_date": "date",
    "status": "text",
    "answers": "integer",
    "help_requests": "integer",
    "opened_week": "integer",
    "direction": "text",
    "last_activity_at": "timestamptz",
    "resumed_on": "date",
    "ended_on": "date",
    "answered_weeks": "integer[]",
    "last_client_activity_at": "timestamptz",
    "last_help_at": "timestamptz",
    "meetings_waiting": "uuid[]",
    "last_meeting_held_at": "timestamptz",
    "last_feedback_at": "timestamptz",
    "follow_ups_recorded": "text[]",
    "erased_at": "timestamptz",
    "curriculum_version": "text",
}
_COLUMNS = [f.name for f in fields(CaseloadRow)]
assert list(_TYPES) == _COLUMNS, "every column of CaseloadRow needs its type here"
# unnest() would flatten an array of arrays, so an array column travels as its text form
# (`{a,b}`) and is cast back in the statement.
_ARRAYS = {name for name, kind in _TYPES.items() if kind.endswith("[]")}

_SELECT = (
    f"SELECT pathway_id, {', '.join(_COLUMNS)} FROM caseload"
    " WHERE pathway_id = ANY($1::uuid[]) ORDER BY pathway_id FOR UPDATE"
)
# A row whose fold changed nothing is written as it was; the trigger then leaves updated_at.
_UPDATE = (
    "UPDATE caseload AS c SET "
    + ", ".join(f"{name} = u.{name}::{_TYPES[name]}" for name in _COLUMNS)
    + " FROM unnest($1::uuid[], "
    + ", ".join(
        f"${n}::{'text' if name in _ARRAYS else _TYPES[name]}[]"
        for n, name in enumerate(_COLUMNS, start=2)
    )
    + f") AS u(pathway_id, {', '.join(_COLUMNS)}) WHERE c.pathway_id = u.pathway_id"
)


async def make_rows(
    connection: DbConnection, events: Sequence[tuple[EventEnvelope, EventModel]]
) -> set[UUID]:
    """Every path of the batch gets its row, if it has none yet, in one statement; returns
    the paths whose rows it made (they hold the table's defaults, locked by this batch).

    Events of one path come from three topics in no fixed order between them, so any of them
    may be the first to arrive; the row starts with the tenant every envelope carries.
    """
    paths: dict[UUID, str] = {}
    for envelope, event in events:
        paths.setdefault(path_of(event), envelope.tenant)
    made = await connection.fetch(
        "INSERT INTO caseload (pathway_id, tenant)"
        " SELECT * FROM unnest($1::uuid[], $2::text[]) ORDER BY 1"
        " ON CONFLICT (pathway_id) DO NOTHING RETURNING pathway_id",
        list(paths),
        list(paths.values()),
    )
    return {row["pathway_id"] for row in made}


async def read_rows(connection: DbConnection, paths: Iterable[UUID]) -> dict[UUID, CaseloadRow]:
    """The stored rows of `paths`, locked until the batch commits, in one statement."""
    stored = await connection.fetch(_SELECT, sorted(paths))
    return {
        row["pathway_id"]: CaseloadRow(**{name: row[name] for name in _COLUMNS}) for row in stored
    }


async def write_rows(connection: DbConnection, rows: dict[UUID, CaseloadRow]) -> None:
    """Every row's columns in one statement, in key order like the rows were locked."""
    if not rows:
        return
    keys = sorted(rows)
    columns: list[list[object]] = [[] for _ in _COLUMNS]
    for key in keys:
        row = rows[key]
        for column, name in zip(columns, _COLUMNS, strict=True):
            value = getattr(row, name)
            column.append(_array_text(value) if name in _ARRAYS else value)
    await connection.execute(_UPDATE, keys, *columns)


def _array_text(values: object) -> str:
    """A list as PostgreSQL's array text, every element quoted (a counselor id is free text)."""
    assert isinstance(values, list)
    quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"
