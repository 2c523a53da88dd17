"""Loading a path's guidance record, and reading back what a recorded command decided."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

from chassis.auth import Principal
from chassis.event_store import AppendResult
from chassis.streams import LoadedStream
from contracts.events.base import EventModel
from services.guidance.adapters.path_access import PathAccess, check_access
from services.guidance.application.ports import Paths
from services.guidance.domain.guidance_record import GuidanceRecord

StreamLoader = Callable[[str], Awaitable[LoadedStream]]


async def load_record(load: StreamLoader, pathway_id: UUID) -> GuidanceRecord:
    stream = await load(str(pathway_id))
    return GuidanceRecord.from_history(pathway_id, stream.version, stream.events)


async def first_event(load: StreamLoader, recorded: AppendResult) -> EventModel:
    """The first event a recorded command appended: where a retry finds the id it made."""
    stream = await load(recorded.stream_id)
    return stream.events[recorded.first_version - 1]


async def require_access(
    paths: Paths, pathway_id: UUID, principal: Principal, *, staff_only: bool
) -> PathAccess:
    """The path, if the caller may act on it; otherwise as if it did not exist."""
    return check_access(await paths.find(pathway_id), principal, staff_only=staff_only)
