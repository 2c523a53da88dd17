"""How a counselor reads a row of their caseload (pure)."""

from __future__ import annotations

WEEKS = 12


def current_week(latest_opened_week: int) -> int:
    """The week the client is in: the latest WeekOpened that tasks recorded.

    Every week's opening is an event (by the calendar, or early by the counselor), and tasks
    moves the calendar for pauses, so guidance does not keep a calendar of its own.
    """
    return max(0, min(WEEKS, latest_opened_week))
