"""When each week of a path opens: week N on the start date + 7·(N−1) days, moved by pauses.

Days inside a pause do not count: a pause from 7 to 21 December moves every later opening by
14 days, and while a pause goes on (no resume yet) no further week opens by the calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.tasks.domain.curriculum import WEEKS

DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class Pause:
    """A pause of the path: from `paused_on` up to (not including) `resumed_on`."""

    paused_on: date
    resumed_on: date | None = None


def _paused_days_before(pauses: Sequence[Pause], start_date: date, day: date) -> int:
    """Days in [start_date, day) that fall inside a pause."""
    total = 0
    for pause in pauses:
        begin = max(pause.paused_on, start_date)
        end = min(pause.resumed_on or day, day)
        total += max(0, (end - begin).days)
    return total


def ongoing_pause(pauses: Sequence[Pause]) -> Pause | None:
    return next((pause for pause in pauses if pause.resumed_on is None), None)


def counted_days(start_date: date, today: date, pauses: Sequence[Pause] = ()) -> int:
    """Days of the path that have passed by `today`, pauses left out."""
    return (today - start_date).days - _paused_days_before(pauses, start_date, today)


def scheduled_week(start_date: date, today: date, pauses: Sequence[Pause] = ()) -> int:
    """The latest week open by the calendar (0 before the start, at most 12)."""
    if today < start_date:
        return 0
    return min(WEEKS, counted_days(start_date, today, pauses) // DAYS_PER_WEEK + 1)


def week_opening_date(start_date: date, week: int) -> date:
    """The day `week` opens by the calendar of a path that was never paused."""
    return start_date + timedelta(days=DAYS_PER_WEEK * (week - 1))


def moved_opening_date(start_date: date, week: int, pauses: Sequence[Pause]) -> date | None:
    """The day `week` opens, moved by the pauses; None while a pause that moves it goes on."""
    day = week_opening_date(start_date, week)
    # Each pause that began before the (moved) opening day moves it by its length; pauses are
    # applied in the order they began so that a later pause sees the day the earlier one made.
    for pause in sorted(pauses, key=lambda p: p.paused_on):
        if pause.paused_on >= day:
            break
        if pause.resumed_on is None:
            return None
        day += timedelta(days=max(0, (pause.resumed_on - max(pause.paused_on, start_date)).days))
    return day
