"""How a counselor reads a row of their caseload (pure)."""

from __future__ import annotations

from datetime import date

WEEKS = 12


def current_week(start_date: date | None, early_open_week: int, today: date) -> int:
    """The week the client is in: by the path's calendar (week N opens on day 7·(N−1)),
    or later if the counselor opened weeks early. 0 before the start."""
    if start_date is None or today < start_date:
        by_calendar = 0
    else:
        by_calendar = min(WEEKS, (today - start_date).days // 7 + 1)
    return max(by_calendar, early_open_week)
