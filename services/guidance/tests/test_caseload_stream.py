"""The caseload stream: which rows it reports, and that it ends on its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID, uuid4

from services.guidance.adapters.caseload_stream import caseload_events, changed_rows

T1 = datetime(2026, 12, 8, 9, tzinfo=UTC)
T2 = datetime(2026, 12, 8, 10, tzinfo=UTC)


def test_new_changed_and_gone_rows_are_reported_unchanged_ones_not() -> None:
    same, changed, new, gone = uuid4(), uuid4(), uuid4(), uuid4()
    before = {same: T1, changed: T1, gone: T1}
    after = {same: T1, changed: T2, new: T1}
    assert sorted(changed_rows(before, after), key=str) == sorted(
        [(changed, T2), (new, T1), (gone, None)], key=str
    )
    assert changed_rows(after, after) == []


async def test_the_stream_says_ready_then_each_change() -> None:
    pathway_id = uuid4()
    polls = iter([{pathway_id: T1}, {pathway_id: T1}, {pathway_id: T2}])

    async def marks() -> dict[UUID, datetime]:
        return next(polls, {})

    stream = caseload_events(marks, poll_seconds=0.01, keepalive_seconds=60)
    async with asyncio.timeout(5):
        sent = [await anext(stream) for _ in range(3)]
    await stream.aclose()
    assert sent[0].startswith("retry: ") and "event: ready" in sent[0]
    assert sent[1] == (
        f'event: changed\ndata: {{"pathway_id":"{pathway_id}","updated_at":"{T2.isoformat()}"}}\n\n'
    )
    assert sent[2] == f'event: removed\ndata: {{"pathway_id":"{pathway_id}"}}\n\n'


async def test_the_stream_ends_when_its_time_is_up() -> None:
    async def marks() -> dict[UUID, datetime]:
        return {}

    sent = [chunk async for chunk in caseload_events(marks, lifetime_seconds=0)]
    assert len(sent) == 1 and "event: ready" in sent[0]


async def test_a_quiet_stream_sends_keepalives() -> None:
    async def marks() -> dict[UUID, datetime]:
        return {}

    stream = caseload_events(marks, poll_seconds=0.01, keepalive_seconds=0)
    async with asyncio.timeout(5):
        sent = [await anext(stream) for _ in range(2)]
    await stream.aclose()
    assert sent[1] == ": keepalive\n\n"
