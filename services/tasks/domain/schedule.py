"""When each week of a path opens: week N on the start date + 7·(N−1) days."""

from __future__ import annotations

from datetime import date, timedelta

from services.tasks.domain.curriculum import WEEKS


def week_opening_date(start_date: date, week: int) -> date:
    return start_date + timedelta(days=7 * (week - 1))


def scheduled_week(start_date: date, today: date) -> int:
    """The latest week open by the calendar (0 before the start, at most 12)."""
    if today < start_date:
        return 0
    return min(WEEKS, (today - start_date).days // 7 + 1)
