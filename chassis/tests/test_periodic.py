"""A background job's rhythm: a failed round is logged, the next one comes, and stop ends it."""

from __future__ import annotations

import asyncio

import pytest

from chassis.periodic import every


async def test_a_failed_round_is_logged_and_the_rounds_go_on_until_stop() -> None:
    stop = asyncio.Event()
    rounds: list[int] = []

    async def round_() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OSError("the database is away")
        if len(rounds) == 3:
            stop.set()

    async with asyncio.timeout(5):
        await every(0.01, stop, round_, failed="the round failed")
    assert rounds == [0, 1, 2]


async def test_an_error_it_was_not_told_to_survive_ends_the_job() -> None:
    async def round_() -> None:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        await every(0.01, asyncio.Event(), round_, failed="x", errors=(OSError,))
