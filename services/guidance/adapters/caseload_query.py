"""Reading the caseload: a counselor's rows, one path's course, and the rows' change marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from chassis.auth import Principal
from chassis.clock import HELSINKI
from services.guidance.domain.caseload import CaseloadFacts, PathStatus

# The rows a caller may see: a counselor the paths assigned to them, an admin the tenant's.
# A row appears once the path's opening has arrived, and leaves when its client is erased.
_VISIBLE = (
    "c.tenant = $1 AND ($2 OR $3 = ANY(c.counselor_ids))"
    " AND c.start_date IS NOT NULL AND c.erased_at IS NULL"
)


@dataclass(frozen=True)
class CaseloadEntry:
    pathway_id: UUID
    client_ref: str | None
    municipality: str | None
    cohort: str | None
    direction: str | None
    answers: int
    help_requests: int
    last_activity_at: datetime | None
    updated_at: datetime
    facts: CaseloadFacts


async def caseload_entries(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    status: PathStatus | None = None,
    municipality: str | None = None,
    cohort: str | None = None,
) -> list[CaseloadEntry]:
    # Answers waiting for feedback are counted here rather than kept in the row: feedback is
    # stored in the same transaction as its event, so the count is right the moment it is given.
    rows = await pool.fetch(
        "SELECT c.*, (SELECT count(*) FROM answers_seen a"
        "   WHERE a.pathway_id = c.pathway_id AND a.kind = 'answer' AND NOT a.erased"
        "   AND NOT EXISTS (SELECT 1 FROM feedback_texts f WHERE f.answer_id = a.answer_id)"
        " ) AS feedback_waiting,"
        " (SELECT count(*) FROM path_messages m WHERE m.pathway_id = c.pathway_id"
        "   AND m.from_role = 'client' AND m.read_at IS NULL) AS messages_waiting"
        f" FROM caseload c WHERE {_VISIBLE}"
        " AND ($4::text IS NULL OR c.status = $4)"
        " AND ($5::text IS NULL OR c.municipality = $5)"
        " AND ($6::text IS NULL OR c.cohort = $6)"
        " ORDER BY c.start_date, c.pathway_id",
        principal.tenant,
        principal.role == "admin",
        principal.subject,
        status,
        municipality,
        cohort,
    )
    return [_entry(row) for row in rows]


def _entry(row: asyncpg.Record) -> CaseloadEntry:
    last_client: datetime | None = row["last_client_activity_at"]
    return CaseloadEntry(
        pathway_id=row["pathway_id"],
        client_ref=row["client_ref"],
        municipality=row["municipality"],
        cohort=row["cohort"],
        direction=row["direction"],
        answers=row["answers"],
        help_requests=row["help_requests"],
        last_activity_at=row["last_activity_at"],
        updated_at=row["updated_at"],
        facts=CaseloadFacts(
            status=row["status"],
            start_date=row["start_date"],
            opened_week=row["opened_week"],
            answered_weeks=frozenset(row["answered_weeks"]),
            feedback_waiting=row["feedback_waiting"],
            meetings_waiting=len(row["meetings_waiting"]),
            last_help_at=row["last_help_at"],
            last_meeting_held_at=row["last_meeting_held_at"],
            last_client_activity_on=last_client.astimezone(HELSINKI).date()
            if last_client
            else None,
            resumed_on=row["resumed_on"],
            ended_on=row["ended_on"],
            follow_ups_recorded=frozenset(row["follow_ups_recorded"]),
            messages_waiting=row["messages_waiting"],
        ),
    )


async def change_marks(pool: asyncpg.Pool, principal: Principal) -> dict[UUID, datetime]:
    """Each visible row's updated_at: what the caseload stream compares from poll to poll.

    A message written or read changes the row's flag without any projection touching the row,
    so its latest moment counts too (decision 0041).
    """
    rows = await pool.fetch(
        "SELECT c.pathway_id, GREATEST(c.updated_at, (SELECT max(GREATEST(m.written_at,"
        " m.read_at)) FROM path_messages m WHERE m.pathway_id = c.pathway_id)) AS updated_at"
        f" FROM caseload c WHERE {_VISIBLE}",
        principal.tenant,
        principal.role == "admin",
        principal.subject,
    )
    return {row["pathway_id"]: row["updated_at"] for row in rows}
