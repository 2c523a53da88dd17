"""The caseload projection: one row per path, from enrolment's, tasks' and guidance's own events.

Written a batch at a time (issue 15): the batch's new rows are made and its stored rows read
in one statement each, every path's events are folded over its row in delivery order
(caseload_fold), and the rows are written back in one more, in the transaction that moves the
batch's checkpoints (chassis.projector). Every change commutes with the other topics' (see
caseload_fold), so the row ends the same whatever order the topics interleave in, live or in
a rebuild. `updated_at` is moved by a trigger on every real change.
"""

from __future__ import annotations

from chassis.event_store import DbConnection
from chassis.projector import Decoded, Projection, batched
from contracts.events.enrolment import ClientDataErased
from services.guidance.adapters.caseload_fold import CASELOAD_EVENTS, CaseloadRow, fold, path_of
from services.guidance.adapters.caseload_rows import make_rows, read_rows, write_rows
from services.guidance.adapters.erasure import erase_client_texts


async def write_caseload(connection: DbConnection, events: Decoded) -> None:
    """The batch's events folded per row over the stored rows, each step one statement."""
    made = await make_rows(connection, events)
    paths = {path_of(event) for _, event in events}
    rows = await read_rows(connection, paths - made)
    rows.update((pathway_id, CaseloadRow()) for pathway_id in made)
    await write_rows(connection, fold(rows, events))
    # After the rows are locked (above): a note or feedback being written right now either
    # landed before the texts go, or waits for this batch and sees the erasure mark.
    erased = {event.pathway_id for _, event in events if isinstance(event, ClientDataErased)}
    await erase_client_texts(connection, erased)


CASELOAD = Projection(
    name="caseload",
    tables=["caseload"],
    handlers=batched(*CASELOAD_EVENTS),
    apply_batch=write_caseload,
)
